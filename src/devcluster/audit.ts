// The API server's audit log, as a test oracle: every write request lands in it at Metadata level
// (who, what verb, which object, which response code), so tests can count writes per user from the
// server's own record rather than from client-side instrumentation.

/** AUDIT_POLICY logs the write verbs at Metadata level and nothing else. */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
# One event per request: the ResponseComplete stage (or Panic).
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`;

/** AuditEvent is the subset of audit.k8s.io/v1 Event that the Metadata level records. */
export interface AuditEvent {
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups?: string[] };
  userAgent?: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number; status?: string; reason?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/**
 * parseAuditLog parses JSON lines. A last line that does not parse is one the server is still
 * writing and is skipped; a bad line elsewhere is an error.
 */
export function parseAuditLog(text: string): AuditEvent[] {
  const lines = text.split('\n');
  const events: AuditEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as AuditEvent);
    } catch (err) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
        throw new Error(`audit log line ${i + 1} is not JSON: ${String(err)}`, { cause: err });
      }
    }
  });
  return events;
}

/** writesByUser counts the events per user name, optionally only those matching `filter`. */
export function writesByUser(events: readonly AuditEvent[], filter: (e: AuditEvent) => boolean = () => true): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (filter(e)) counts.set(e.user.username, (counts.get(e.user.username) ?? 0) + 1);
  }
  return counts;
}
