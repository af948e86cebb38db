-- Argo CD health check for bulkhead.dev/AIWorkload.
--
-- Contract: Argo CD sets the global `obj` to the AIWorkload as the API server returns it and reads
-- the table this chunk returns: {status = Healthy|Progressing|Degraded, message = ...}. Argo CD
-- runs it in gopher-lua with only the base, package and table libraries (and a reduced os) unless
-- the check is configured with useOpenLibs, so this script calls no string, math or io function.
-- integrations/argocd/argocd-cm.yaml carries this file (make generate writes it), and
-- e2e/gitops/argocd-health.test.ts runs it with gopher-lua against statuses the operator wrote.
--
-- The conditions are those src/controller/status.ts writes. The first rule that matches wins:
--
--   Ready=False with reason ApplyFailed at metadata.generation (the condition's observedGeneration)
--       Degraded     the Ready message, which names each object the API server did not accept
--                    and quotes it: refused by RBAC or admission (then also Stalled), or failing
--                    again and again (Reconciling, retried with backoff; such a failure keeps
--                    status.observedGeneration where it was, hence this rule comes first)
--   status.observedGeneration missing or < metadata.generation
--       Progressing  "waiting for the operator to observe generation N"
--   Stalled=True (reason InvalidSpec: the spec is refused, the message names the field; or
--   PermissionsOutsideCeiling)
--       Degraded     the Stalled message; terminal until someone changes the spec or the ceiling
--   Ready=False with reason PermissionsOutsideCeiling
--       Degraded     the Ready message: only an admin widening the operator's ceiling fixes it
--   Exposed=True
--       Degraded     "Exposed: " and the message: another NetworkPolicy lets an undeclared peer in
--                    or a segment out; a security finding someone must act on (in audit mode too:
--                    it names a policy that would keep the segment open once enforced)
--   Ready=True with reason Audited, or spec.enforcement Audit
--       Healthy      "Audit mode, nothing enforced. " and the Ready message
--   Ready=True (reason Applied)
--       Healthy      the Ready message
--   Ready=False with any other reason
--       Progressing  the Ready message
--   no Ready condition, or Ready=Unknown
--       Progressing  "waiting for the Ready condition"
--
-- A Healthy message ends with "ConsentPending: ...", "IdentityDrift: ...", "Overlapping: ...",
-- "PeerUnresolved: ...", "IdentityWidened: ..." and "ThreatFeedUnavailable: ..." while those
-- conditions are True: informational, since a cross-namespace flow waiting for the other team to
-- declare its side, or pods not yet restarted under their segment's ServiceAccount, is a normal
-- state of a working segment. ThreatFeedUnavailable (a ThreatFeed in scope has no set in force)
-- leaves the segments enforced without that feed's networks carved out; only the platform team
-- owning the feed can fix its source, and the ThreatFeed itself is Degraded
-- (threatfeed-health.lua), so the app team's AIWorkload stays Healthy and says so.

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

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function messageOf(c, fallback)
  if c == nil or c.message == nil or c.message == "" then
    return fallback
  end
  return c.message
end

-- observedGenerationBehind is nil when the operator has observed metadata.generation, otherwise
-- the Progressing message.
local function observedGenerationBehind(o)
  local generation = (o.metadata and o.metadata.generation) or 0
  local observed = o.status and o.status.observedGeneration
  if observed ~= nil and observed >= generation then
    return nil
  end
  return "waiting for the operator to observe generation " .. generation
end

-- applyFailed is the Ready condition when the operator's writes for metadata.generation failed.
local function applyFailed(o)
  local generation = (o.metadata and o.metadata.generation) or 0
  local ready = conditionOf(o.status, "Ready")
  if ready ~= nil and ready.status == "False" and ready.reason == "ApplyFailed" and ready.observedGeneration == generation then
    return ready
  end
  return nil
end

local function healthyMessage(o, ready)
  local parts = {}
  if ready.reason == "Audited" or (o.spec ~= nil and o.spec.enforcement == "Audit") then
    table.insert(parts, "Audit mode, nothing enforced. " .. messageOf(ready, ""))
  else
    table.insert(parts, messageOf(ready, "segments enforced"))
  end
  for _, type in ipairs({"ConsentPending", "IdentityDrift", "Overlapping", "PeerUnresolved", "IdentityWidened", "ThreatFeedUnavailable"}) do
    local c = conditionOf(o.status, type)
    if isTrue(c) then
      table.insert(parts, type .. ": " .. messageOf(c, "True"))
    end
  end
  return table.concat(parts, " ")
end

local function health(o)
  local failed = applyFailed(o)
  if failed ~= nil then
    return "Degraded", messageOf(failed, "apply failed")
  end
  local behind = observedGenerationBehind(o)
  if behind ~= nil then
    return "Progressing", behind
  end
  local stalled = conditionOf(o.status, "Stalled")
  if isTrue(stalled) then
    return "Degraded", messageOf(stalled, "stalled: " .. (stalled.reason or "unknown reason"))
  end
  local ready = conditionOf(o.status, "Ready")
  if ready ~= nil and ready.status == "False" and ready.reason == "PermissionsOutsideCeiling" then
    return "Degraded", messageOf(ready, "permissions outside the operator's grantable ceiling")
  end
  local exposed = conditionOf(o.status, "Exposed")
  if isTrue(exposed) then
    return "Degraded", "Exposed: " .. messageOf(exposed, "an undeclared peer can connect")
  end
  if isTrue(ready) then
    return "Healthy", healthyMessage(o, ready)
  end
  if ready ~= nil and ready.status == "False" then
    return "Progressing", messageOf(ready, "not ready: " .. (ready.reason or "unknown reason"))
  end
  return "Progressing", "waiting for the Ready condition"
end

local hs = {}
hs.status, hs.message = health(obj)
return hs
