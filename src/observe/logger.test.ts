import { PassThrough } from 'node:stream';
import { createLogger, levelFromEnv } from './logger.js';

function capture(): { stream: PassThrough; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes JSON lines with the reconcile key and id on a child logger', async () => {
    const out = capture();
    const log = createLogger({ stream: out.stream, level: 'info', fields: { component: 'controller' } });
    log.forReconcile('ml-prod/fraud', 'r-1').info('Applying NetworkPolicy', { name: 'fraud-model' });
    log.debug('hidden at info');
    await new Promise((r) => setImmediate(r));
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'Applying NetworkPolicy',
      workload: 'ml-prod/fraud',
      reconcileId: 'r-1',
      name: 'fraud-model',
      component: 'controller',
    });
    expect(typeof lines[0]?.['timestamp']).toBe('string');
  });

  it('takes its level from BULKHEAD_LOG_LEVEL', async () => {
    expect(levelFromEnv({ BULKHEAD_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(levelFromEnv({ BULKHEAD_LOG_LEVEL: 'verbose?' })).toBe('info');
    expect(levelFromEnv({})).toBe('info');
    const out = capture();
    const log = createLogger({ stream: out.stream, env: { BULKHEAD_LOG_LEVEL: 'debug' } });
    log.debug('shown');
    await new Promise((r) => setImmediate(r));
    expect(out.lines().map((l) => l['message'])).toEqual(['shown']);
  });

  it('silent drops everything', async () => {
    const out = capture();
    createLogger({ stream: out.stream, silent: true }).error('nope');
    await new Promise((r) => setImmediate(r));
    expect(out.lines()).toEqual([]);
  });
});
