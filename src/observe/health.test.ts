import { request } from 'node:http';
import { createMetrics } from './metrics.js';
import { ListenError, readinessCheck, startHealthServer, type Readiness } from './health.js';

function get(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          type: String(res.headers['content-type']),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('readinessCheck', () => {
  it('needs synced caches, and when electing, leadership or an observed lease', () => {
    let synced = false;
    let leader = false;
    let observed = false;
    const check = readinessCheck({
      cachesSynced: () => synced,
      election: { isLeader: () => leader, hasObservedLease: () => observed },
    });
    expect(check()).toEqual({ ready: false, reason: 'informer caches not synced' });
    synced = true;
    expect(check().ready).toBe(false);
    observed = true;
    expect(check()).toEqual({ ready: true });
    observed = false;
    leader = true;
    expect(check()).toEqual({ ready: true });
    expect(readinessCheck({ cachesSynced: () => true })()).toEqual({ ready: true });
  });

  it('a replica that leads, or runs without election, is ready only once its workers run', () => {
    let working = false;
    let leader = true;
    const electing = readinessCheck({ cachesSynced: () => true, working: () => working, election: { isLeader: () => leader, hasObservedLease: () => true } });
    const single = readinessCheck({ cachesSynced: () => true, working: () => working });
    expect(electing()).toEqual({ ready: false, reason: 'reconcile workers not started' });
    expect(single()).toEqual({ ready: false, reason: 'reconcile workers not started' });
    // A follower has no workers; it is ready as a warm standby that knows the lease.
    leader = false;
    expect(electing()).toEqual({ ready: true });
    working = true;
    expect(single()).toEqual({ ready: true });
  });

  it('is not ready while a watch cannot reach the API server, and ready again once it can', () => {
    let lost: string[] = ['aiworkloads', 'pods'];
    const check = readinessCheck({ cachesSynced: () => true, disconnected: () => lost });
    expect(check()).toEqual({ ready: false, reason: 'lost the API server: watches of aiworkloads, pods are failing' });
    lost = [];
    expect(check()).toEqual({ ready: true });
  });
});

describe('health server', () => {
  it('serves /healthz, /readyz and /metrics on a free port and closes cleanly', async () => {
    const metrics = createMetrics();
    metrics.leader.set(1);
    let readiness: Readiness = { ready: false, reason: 'informer caches not synced' };
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      ready: () => readiness,
    });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(await get(server.port, '/healthz')).toMatchObject({ status: 200 });
      const notReady = await get(server.port, '/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.body).toContain('informer caches not synced');
      readiness = { ready: true };
      expect((await get(server.port, '/readyz')).status).toBe(200);
      const m = await get(server.port, '/metrics');
      expect(m.status).toBe(200);
      expect(m.type).toContain('text/plain');
      expect(m.body).toContain('bulkhead_leader 1');
      expect((await get(server.port, '/nope')).status).toBe(404);
    } finally {
      await server.close();
    }
    await expect(get(server.port, '/healthz')).rejects.toThrow();
    await server.close(); // idempotent
  });

  it('serves only the endpoints it is given: metrics and probes on listeners of their own', async () => {
    const metrics = createMetrics();
    const probes = await startHealthServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, ready: () => ({ ready: true }), endpoints: ['/healthz', '/readyz'] });
    try {
      expect((await get(probes.port, '/readyz')).status).toBe(200);
      expect((await get(probes.port, '/metrics')).status).toBe(404);
    } finally {
      await probes.close();
    }
  });

  it('a port in use fails at once, naming the address and the reason', async () => {
    const metrics = createMetrics();
    const taken = await startHealthServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, ready: () => ({ ready: true }) });
    try {
      const second = startHealthServer({ host: '127.0.0.1', port: taken.port, registry: metrics.registry, ready: () => ({ ready: true }), endpoints: ['/metrics'] });
      await expect(second).rejects.toThrow(new ListenError('127.0.0.1', taken.port, 'EADDRINUSE', `cannot serve /metrics on 127.0.0.1:${taken.port}: address already in use (EADDRINUSE)`));
    } finally {
      await taken.close();
    }
  });
});
