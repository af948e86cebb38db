// Label selectors as in k8s.io/apimachinery: matchLabels and matchExpressions are ANDed; an empty
// selector matches everything. (An absent selector is the caller's business: its meaning differs
// per field.)
import type { LabelSelector, LabelSelectorRequirement, Labels } from '../api/kubernetes.js';

interface Operator {
  /** Whether API validation requires values (In, NotIn) or forbids them (Exists, DoesNotExist). */
  takesValues: boolean;
  /** Whether a label set passes; `value` is undefined when the key is absent or has no value. */
  holds(value: string | undefined, has: boolean, values: readonly string[]): boolean;
}

const OPERATORS: ReadonlyMap<string, Operator> = new Map<string, Operator>([
  ['In', { takesValues: true, holds: (value, _has, values) => value !== undefined && values.includes(value) }],
  ['NotIn', { takesValues: true, holds: (value, _has, values) => value === undefined || !values.includes(value) }],
  ['Exists', { takesValues: false, holds: (_value, has) => has }],
  ['DoesNotExist', { takesValues: false, holds: (_value, has) => !has }],
]);

function validateRequirement(e: LabelSelectorRequirement, where: string): void {
  const op = OPERATORS.get(e.operator);
  if (op === undefined) throw new Error(`${where}: unknown matchExpressions operator "${e.operator}"`);
  const n = e.values?.length ?? 0;
  if (op.takesValues && n === 0) throw new Error(`${where}: operator ${e.operator} on key "${e.key}" needs values`);
  if (!op.takesValues && n > 0) throw new Error(`${where}: operator ${e.operator} on key "${e.key}" must not have values`);
}

/** Throws with a readable message when a selector could not pass API validation. */
export function validateSelector(sel: LabelSelector, where: string): void {
  for (const e of sel.matchExpressions ?? []) validateRequirement(e, where);
}

function requirementHolds(e: LabelSelectorRequirement, labels: Labels): boolean {
  // An unknown operator never matches (validation rejects it; a selector from elsewhere may not).
  const op = OPERATORS.get(e.operator);
  if (op === undefined) return false;
  // Own properties only: a key like "constructor" must not find Object.prototype's.
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  return op.holds(has ? labels[e.key] : undefined, has, e.values ?? []);
}

/** Whether `labels` satisfy `sel`. Plain loops: the analysis calls it millions of times. */
export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  const required = sel.matchLabels;
  if (required !== undefined) {
    for (const k of Object.keys(required)) if (labels[k] !== required[k]) return false;
  }
  for (const e of sel.matchExpressions ?? []) if (!requirementHolds(e, labels)) return false;
  return true;
}

/** A stable text form, for explanations: `{app=web, tier in (a,b), !debug}`; `{}` selects all. */
export function formatSelector(sel: LabelSelector): string {
  const parts: string[] = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return `{${parts.join(', ')}}`;
}
