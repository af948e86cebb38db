// Whether one label selector provably selects a subset of another's pods: every label set the
// narrow one matches, the wide one matches too. Two components of one AIWorkload in that relation
// always share their pods, and NetworkPolicies add up: the narrow segment would get the wide one's
// rules (a Dataset the egress of a Pipeline). Selectors that merely can overlap (different keys)
// are left to the live check, which names the pods that do. Pure.
import type { LabelSelector } from './schema.js';

/** What one key may be: absent or not, and which values (a finite set, or all but some). */
interface KeyConstraint {
  absentOk: boolean;
  values: { only: ReadonlySet<string> } | { except: ReadonlySet<string> };
}

const ANY: KeyConstraint = { absentOk: true, values: { except: new Set() } };

function fromRequirement(operator: string, values: readonly string[]): KeyConstraint {
  switch (operator) {
    case 'In':
      return { absentOk: false, values: { only: new Set(values) } };
    case 'NotIn':
      return { absentOk: true, values: { except: new Set(values) } };
    case 'Exists':
      return { absentOk: false, values: { except: new Set() } };
    case 'DoesNotExist':
      return { absentOk: true, values: { only: new Set() } };
    default:
      // Validation refuses other operators; treat one as matching nothing.
      return { absentOk: false, values: { only: new Set() } };
  }
}

function intersectValues(a: KeyConstraint['values'], b: KeyConstraint['values']): KeyConstraint['values'] {
  if ('only' in a && 'only' in b) return { only: new Set([...a.only].filter((v) => b.only.has(v))) };
  if ('only' in a && 'except' in b) return { only: new Set([...a.only].filter((v) => !b.except.has(v))) };
  if ('except' in a && 'only' in b) return intersectValues(b, a);
  return { except: new Set([...(a as { except: ReadonlySet<string> }).except, ...(b as { except: ReadonlySet<string> }).except]) };
}

function intersect(a: KeyConstraint, b: KeyConstraint): KeyConstraint {
  return { absentOk: a.absentOk && b.absentOk, values: intersectValues(a.values, b.values) };
}

function constraints(sel: LabelSelector): Map<string, KeyConstraint> {
  const out = new Map<string, KeyConstraint>();
  const add = (key: string, c: KeyConstraint): void => void out.set(key, intersect(out.get(key) ?? ANY, c));
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) add(k, fromRequirement('In', [v]));
  for (const e of sel.matchExpressions ?? []) add(e.key, fromRequirement(e.operator, e.values ?? []));
  return out;
}

const satisfiable = (c: KeyConstraint): boolean => c.absentOk || !('only' in c.values) || c.values.only.size > 0;

function valuesWithin(narrow: KeyConstraint['values'], wide: KeyConstraint['values']): boolean {
  if ('only' in narrow) return [...narrow.only].every((v) => ('only' in wide ? wide.only.has(v) : !wide.except.has(v)));
  // A cofinite set fits only in a cofinite set that excludes no more.
  return 'except' in wide && [...wide.except].every((v) => narrow.except.has(v));
}

/** selectorImplies: every pod `narrow` selects, `wide` selects too (and `narrow` can select one). */
export function selectorImplies(narrow: LabelSelector, wide: LabelSelector): boolean {
  const n = constraints(narrow);
  if (![...n.values()].every(satisfiable)) return false;
  for (const [key, w] of constraints(wide)) {
    const c = n.get(key) ?? ANY;
    if (c.absentOk && !w.absentOk) return false;
    if (!valuesWithin(c.values, w.values)) return false;
  }
  return true;
}
