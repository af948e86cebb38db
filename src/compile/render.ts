// Deterministic YAML for generated objects (shared by `bulkhead render` and golden tests).
import { dump } from 'js-yaml';
import type { GeneratedObject } from './objects.js';

/** A YAML stream of the objects, `---` between documents; stable byte for byte for the same input. */
export function toYamlStream(objects: readonly GeneratedObject[]): string {
  return objects.map((o) => `---\n${dump(o, { lineWidth: -1, noRefs: true, sortKeys: false })}`).join('');
}
