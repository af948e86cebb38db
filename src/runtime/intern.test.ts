import { describe, expect, it } from '@jest/globals';
import { ListInterner, MIN_INTERNED_LENGTH } from './intern.js';

const list = (n: number, prefix = '10.0'): string[] => Array.from({ length: n }, (_, i) => `${prefix}.${i}.0/24`);

describe('ListInterner', () => {
  it('gives every equal long list the same frozen array, and a different one for a different list', () => {
    const interner = new ListInterner();
    const a = interner.intern(list(100));
    const b = interner.intern(list(100));
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual(list(100));
    const c = interner.intern(list(100, '10.1'));
    expect(c).not.toBe(a);
    expect(interner.size()).toBe(2);
  });

  it('leaves short lists alone (not frozen, not shared)', () => {
    const interner = new ListInterner();
    const short = list(MIN_INTERNED_LENGTH - 1);
    expect(interner.intern(short)).toBe(short);
    expect(Object.isFrozen(short)).toBe(false);
    expect(interner.size()).toBe(0);
  });

  it('never returns a list that differs from the one given, in order or length', () => {
    const interner = new ListInterner();
    const forward = interner.intern(list(20));
    const reversed = interner.intern([...list(20)].reverse());
    expect(reversed).not.toBe(forward);
    expect(reversed[0]).toBe('10.0.19.0/24');
    expect(interner.intern(list(21))).toHaveLength(21);
  });
});
