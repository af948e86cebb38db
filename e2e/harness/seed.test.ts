import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FIXED_SEED, runs, testSeed } from './seed.js';

describe('property test seed', () => {
  it('is fixed unless BULKHEAD_SEED says otherwise, and reaches fast-check', () => {
    expect(testSeed({})).toBe(FIXED_SEED);
    expect(testSeed({ BULKHEAD_SEED: '42' })).toBe(42);
    expect(testSeed({ BULKHEAD_SEED: 'random' })).toEqual(expect.any(Number));
    expect(() => testSeed({ BULKHEAD_SEED: 'soon' })).toThrow(/BULKHEAD_SEED must be an integer/);
    expect(fc.readConfigureGlobal().seed).toEqual(process.env['BULKHEAD_SEED'] === 'random' ? expect.any(Number) : testSeed());
  });
  it('scales run counts by BULKHEAD_RUNS_FACTOR', () => {
    expect(runs(300, {})).toBe(300);
    expect(runs(300, { BULKHEAD_RUNS_FACTOR: '20' })).toBe(6000);
    expect(runs(300, { BULKHEAD_RUNS_FACTOR: 'x' })).toBe(300);
  });
});
