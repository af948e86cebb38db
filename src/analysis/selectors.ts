// Label selectors as in k8s.io/apimachinery: matchLabels and matchExpressions are ANDed; an empty
// selector matches everything. (An absent selector is the caller's business: its meaning differs
// per field.)
import type { LabelSelector, Labels } from './types.js';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Throws with a readable message when a selector could not pass API validation. */
export function validateSelector(sel: LabelSelector, where: string): void {
  for (const e of sel.matchExpressions ?? []) {
    if (!OPERATORS.has(e.operator)) throw new Error(`${where}: unknown matchExpressions operator "${e.operator}"`);
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) {
      throw new Error(`${where}: operator ${e.operator} on key "${e.key}" needs values`);
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) {
      throw new Error(`${where}: operator ${e.operator} on key "${e.key}" must not have values`);
    }
  }
}

/** Whether `labels` satisfy `sel`. */
export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = has ? labels[e.key] : undefined;
    switch (e.operator) {
      case 'In':
        if (value === undefined || !(e.values ?? []).includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && (e.values ?? []).includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
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
