// Deterministic names for generated objects: `<workload>-<component>`, capped at 63 characters with
// a stable hash suffix when longer (as cdk8s does), so that names never collide after truncation.
import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 8;

/** Shortens `value` to at most `max` characters, replacing the tail by a hash of the whole value. */
export function capName(value: string, max = MAX_NAME_LENGTH): string {
  if (value.length <= max) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, HASH_LENGTH);
  const head = value.slice(0, max - HASH_LENGTH - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}

/** The name of every object generated for a component. */
export function objectName(workload: string, component: string): string {
  return capName(`${workload}-${component}`);
}

/** A label value for a name that may be longer than a label value may be (63). */
export function labelValue(name: string): string {
  return capName(name);
}
