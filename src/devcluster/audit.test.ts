import { describe, expect, it } from '@jest/globals';
import { parseAuditLog, writesByUser, type AuditEvent } from './audit.js';

function event(username: string, verb: string): AuditEvent {
  return {
    level: 'Metadata', auditID: `${username}-${verb}`, stage: 'ResponseComplete', requestURI: '/api/v1/namespaces',
    verb, user: { username }, requestReceivedTimestamp: '2026-01-01T00:00:00Z', stageTimestamp: '2026-01-01T00:00:00Z',
  };
}

describe('audit log', () => {
  it('parses JSON lines and skips a last line still being written', () => {
    const text = `${JSON.stringify(event('alice', 'create'))}\n${JSON.stringify(event('bob', 'patch'))}\n{"kind":"Eve`;
    expect(parseAuditLog(text).map((e) => e.user.username)).toEqual(['alice', 'bob']);
  });

  it('rejects a corrupt line in the middle', () => {
    expect(() => parseAuditLog(`{oops\n${JSON.stringify(event('alice', 'create'))}\n`)).toThrow(/line 1/);
  });

  it('counts writes per user', () => {
    const events = [event('alice', 'create'), event('alice', 'delete'), event('bob', 'patch')];
    expect(writesByUser(events)).toEqual(new Map([['alice', 2], ['bob', 1]]));
    expect(writesByUser(events, (e) => e.verb === 'delete')).toEqual(new Map([['alice', 1]]));
  });
});
