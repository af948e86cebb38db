// The segment map: model, writers and layout (see model.ts).
import { toDot } from './dot.js';
import { toHtml } from './html.js';
import { renderSvg } from './layout.js';
import type { SegmentMap } from './model.js';

export { buildSegmentMap, type MapInput, type MappedWorkload, type MapCondition, type PodOverlap, type SegmentMap } from './model.js';
export { toDot } from './dot.js';
export { toMermaid } from './mermaid.js';
export { toHtml } from './html.js';
export { renderSvg } from './layout.js';

/** reportHtml is the whole page: the map's DOT drawn by Graphviz, inline, with the conditions beside it. */
export async function reportHtml(map: SegmentMap): Promise<string> {
  return toHtml(map, await renderSvg(toDot(map)));
}
