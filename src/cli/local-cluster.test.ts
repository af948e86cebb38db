import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseArgs } from './local-cluster.js';

describe('local-cluster arguments', () => {
  it('defaults the state directory to .local', () => {
    expect(parseArgs(['up'])).toEqual({ action: 'up', dir: path.resolve('.local') });
  });

  it('accepts --dir D and --dir=D', () => {
    expect(parseArgs(['down', '--dir', '/tmp/x'])).toEqual({ action: 'down', dir: '/tmp/x' });
    expect(parseArgs(['--dir=/tmp/y', 'env'])).toEqual({ action: 'env', dir: '/tmp/y' });
  });

  it('rejects a missing action, a missing value and extra arguments', () => {
    expect(parseArgs([])).toBe('missing action');
    expect(parseArgs(['up', '--dir'])).toBe('--dir needs a value');
    expect(parseArgs(['up', 'down'])).toBe('unexpected argument "down"');
  });
});
