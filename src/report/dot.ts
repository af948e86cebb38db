// The segment map as Graphviz DOT (`bulkhead explain -o dot`, and what the report lays out). Node
// names are the node keys, so the SVG's <title> of a node is `ns/workload/component` and of an
// edge `from->to`; every node and edge also gets an `id` and a `class` for the page's DOM.
import { dotLines, dotString } from './escape.js';
import type { MapEdge, MapNode, SegmentMap } from './model.js';
import { EDGE_STYLES, nodeClasses, nodeStyle } from './style.js';

const attrs = (pairs: readonly (readonly [string, string])[]): string => `[${pairs.map(([k, v]) => `${k}=${v}`).join(', ')}]`;

function nodeLine(node: MapNode, indent: string): string {
  const s = nodeStyle(node);
  const style = ['rounded', 'filled', ...(s.dashed ? ['dashed'] : [])].join(',');
  return `${indent}${dotString(node.key)} ${attrs([
    ['id', dotString(node.id)],
    ['class', dotString(nodeClasses(node).join(' '))],
    ['label', dotLines(node.label)],
    ['tooltip', dotString(node.key)],
    ['style', dotString(style)],
    ['color', dotString(s.stroke)],
    ['fillcolor', dotString(s.fill)],
    ['penwidth', String(s.width)],
  ])};`;
}

function edgeLine(edge: MapEdge): string {
  const s = EDGE_STYLES[edge.kind];
  return `  ${dotString(edge.from)} -> ${dotString(edge.to)} ${attrs([
    ['id', dotString(edge.id)],
    ['class', dotString(edge.kind)],
    ['label', dotString(edge.label)],
    ['tooltip', dotString(edge.detail)],
    ['color', dotString(s.colour)],
    ['fontcolor', dotString(s.colour)],
    ['style', dotString(s.line)],
    ['penwidth', String(s.width)],
    ...(s.arrow ? [] : [['dir', 'none'] as const]),
  ])};`;
}

/** toDot writes the map as one digraph: a cluster per AIWorkload holding its components, peers outside. */
export function toDot(map: SegmentMap): string {
  const lines = [
    'digraph "bulkhead" {',
    `  graph ${attrs([['rankdir', 'LR'], ['fontname', '"Helvetica"'], ['fontsize', '12'], ['nodesep', '0.25'], ['ranksep', '1.0'], ['label', dotString(map.title)], ['labelloc', 't']])};`,
    `  node ${attrs([['shape', 'box'], ['fontname', '"Helvetica"'], ['fontsize', '11']])};`,
    `  edge ${attrs([['fontname', '"Helvetica"'], ['fontsize', '9']])};`,
  ];
  for (const w of map.workloads) {
    const members = map.nodes.filter((n) => n.kind === 'component' && n.workload === w.key);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${dotString(`cluster ${w.key}`)} {`);
    const cluster = [['id', dotString(w.id)], ['class', '"workload"'], ['label', dotString(`AIWorkload ${w.key}`)], ['style', '"rounded"'], ['color', '"#9ca3af"']] as const;
    lines.push(`    ${cluster.map(([k, v]) => `${k}=${v};`).join(' ')}`);
    lines.push(...members.map((n) => nodeLine(n, '    ')));
    lines.push('  }');
  }
  lines.push(...map.nodes.filter((n) => n.kind !== 'component' || n.workload === undefined).map((n) => nodeLine(n, '  ')));
  lines.push(...map.edges.map(edgeLine));
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
