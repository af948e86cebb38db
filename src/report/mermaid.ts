// The segment map as a Mermaid flowchart (`bulkhead explain -o mermaid`), to paste into a pull
// request comment inside a ```mermaid fence. Mermaid ids must be plain words, so nodes are n0, n1,
// ... in the order of their keys (the same input gives the same text); every label is quoted and
// escaped (mermaidText), so no name can end a label, a statement or the fence.
import { mermaidLines, mermaidText } from './escape.js';
import type { MapEdge, MapNode, SegmentMap } from './model.js';
import { COLOURS, EDGE_STYLES, nodeStyle } from './style.js';

function arrow(edge: MapEdge): string {
  const s = EDGE_STYLES[edge.kind];
  if (!s.arrow) return '-.-';
  if (s.line !== 'solid') return '-.->';
  return s.width >= 3 ? '==>' : '-->';
}

function nodeStatement(node: MapNode, id: string): string {
  return `${id}[${mermaidLines(node.label)}]`;
}

/** classDef lines: one per node kind and highlight, with the colours of the DOT output. */
function classDefs(): string[] {
  return [
    `  classDef component fill:${COLOURS.componentFill},stroke:${COLOURS.component}`,
    `  classDef peer fill:${COLOURS.peerFill},stroke:${COLOURS.peer}`,
    `  classDef exposer fill:${COLOURS.exposureFill},stroke:${COLOURS.exposure},stroke-width:3px`,
    `  classDef exposed stroke:${COLOURS.exposure},stroke-width:3px`,
    `  classDef overlap stroke:${COLOURS.overlap},stroke-width:3px`,
    `  classDef pending stroke:${COLOURS.pending},stroke-width:3px`,
  ];
}

/** The class of a node: its outline colour decides, as in the DOT output. */
function nodeClass(node: MapNode): string {
  const s = nodeStyle(node);
  if (s.stroke === COLOURS.exposure && node.kind !== 'exposer') return 'exposed';
  if (s.stroke === COLOURS.overlap) return 'overlap';
  if (s.stroke === COLOURS.pending) return 'pending';
  return node.kind;
}

/** toMermaid writes the map as `flowchart LR`, a subgraph per AIWorkload. */
export function toMermaid(map: SegmentMap): string {
  const ids = new Map(map.nodes.map((n, i) => [n.key, `n${i}`]));
  const id = (key: string): string => ids.get(key) ?? 'unknown';
  const lines = ['flowchart LR'];
  map.workloads.forEach((w, i) => {
    const members = map.nodes.filter((n) => n.kind === 'component' && n.workload === w.key);
    if (members.length === 0) return;
    lines.push(`  subgraph w${i}["${mermaidText(`AIWorkload ${w.key}`)}"]`);
    lines.push(...members.map((n) => `    ${nodeStatement(n, id(n.key))}`));
    lines.push('  end');
  });
  lines.push(...map.nodes.filter((n) => n.kind !== 'component' || n.workload === undefined).map((n) => `  ${nodeStatement(n, id(n.key))}`));
  lines.push(...map.edges.map((e) => `  ${id(e.from)} ${arrow(e)}|"${mermaidText(e.label)}"| ${id(e.to)}`));
  lines.push(...classDefs());
  const byClass = new Map<string, string[]>();
  for (const n of map.nodes) byClass.set(nodeClass(n), [...(byClass.get(nodeClass(n)) ?? []), id(n.key)]);
  for (const [cls, members] of [...byClass.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`  class ${members.join(',')} ${cls}`);
  map.edges.forEach((e, i) => {
    const s = EDGE_STYLES[e.kind];
    lines.push(`  linkStyle ${i} stroke:${s.colour},stroke-width:${s.width}px`);
  });
  return `${lines.join('\n')}\n`;
}
