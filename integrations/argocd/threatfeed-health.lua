-- Argo CD health check for bulkhead.dev/ThreatFeed.
--
-- Contract: as health.lua (AIWorkload): Argo CD sets the global `obj` to the ThreatFeed as the API
-- server returns it and reads the table this chunk returns: {status = Healthy|Progressing|Degraded,
-- message = ...}. It runs in gopher-lua with only the base, package and table libraries (and a
-- reduced os), so this script calls no string, math or io function.
-- integrations/argocd/argocd-cm.yaml carries it (make generate writes it), and
-- e2e/gitops/threatfeed-health.test.ts runs it with gopher-lua against statuses the operator wrote.
--
-- The conditions are those src/controller/threatfeed-status.ts writes. The first rule that matches
-- wins:
--
--   status.observedGeneration missing or < metadata.generation, or no Ready condition (or
--   Ready=Unknown)
--       Progressing  "waiting for the operator to read the feed"
--   Ready=True (reason InForce)
--       Healthy      the Ready message ("N network(s) in force, carved out of M segment(s).")
--   Ready=False (reason NoSetInForce: no read ever worked; InvalidSpec: the spec is refused; or
--   the reason of the failed read, SourceNotFound, Unreadable, FetchTimeout, ..., while the last
--   good set stays in force)
--       Degraded     the reason, ": " and the Ready message, which names the failure and then
--                    either "no set is in force" or the last good set kept and its age
--
-- A failing source with a last good set is Degraded, not Healthy with a warning in the message.
-- The set kept still blocks what it blocked, but it is frozen: networks the feed lists from now on
-- are not carved out, and the longer it lasts the staler it gets. Nothing heals it but the team that
-- owns the source (the ConfigMap, the URL, --threatfeed-hosts, the egress to the feed's host), and
-- Argo CD has no "Healthy with warning": a Healthy message is read by nobody, while Degraded marks
-- the Application and fires Argo CD notifications' on-health-degraded trigger. A failure that is
-- transient (one timeout) is Degraded only until a read succeeds (an HTTPS feed is tried again
-- after 30 s, then less and less often; a ConfigMap at its next change).

local function conditionOf(status, type)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function messageOf(c, fallback)
  if c == nil or c.message == nil or c.message == "" then
    return fallback
  end
  return c.message
end

local WAITING = "waiting for the operator to read the feed"

local function health(o)
  local generation = (o.metadata and o.metadata.generation) or 0
  local observed = o.status and o.status.observedGeneration
  if observed == nil or observed < generation then
    return "Progressing", WAITING
  end
  local ready = conditionOf(o.status, "Ready")
  if ready ~= nil and ready.status == "True" then
    return "Healthy", messageOf(ready, "in force")
  end
  if ready ~= nil and ready.status == "False" then
    local reason = ready.reason or "NotReady"
    return "Degraded", reason .. ": " .. messageOf(ready, "the feed could not be read")
  end
  return "Progressing", WAITING
end

local hs = {}
hs.status, hs.message = health(obj)
return hs
