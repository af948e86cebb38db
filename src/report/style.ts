// How each kind of node and edge looks, shared by the DOT and Mermaid writers (the HTML page draws
// the DOT), so a highlight means the same colour everywhere: red for an exposure, violet for an
// overlap, amber for a consent-pending peer.
import type { EdgeKind, Highlight, MapNode } from './model.js';

export const COLOURS = {
  component: '#1a56db',
  componentFill: '#e8f0fe',
  peer: '#4b5563',
  peerFill: '#f3f4f6',
  exposure: '#c81e1e',
  exposureFill: '#fde8e8',
  overlap: '#7e3af2',
  pending: '#b45309',
  dns: '#9ca3af',
} as const;

export interface EdgeStyle {
  colour: string;
  /** solid, dashed or dotted. */
  line: 'solid' | 'dashed' | 'dotted';
  width: number;
  arrow: boolean;
}

export const EDGE_STYLES: Readonly<Record<EdgeKind, EdgeStyle>> = {
  flow: { colour: COLOURS.component, line: 'solid', width: 1.5, arrow: true },
  ingress: { colour: COLOURS.peer, line: 'solid', width: 1.2, arrow: true },
  egress: { colour: COLOURS.peer, line: 'solid', width: 1.2, arrow: true },
  dns: { colour: COLOURS.dns, line: 'dotted', width: 1, arrow: true },
  exposure: { colour: COLOURS.exposure, line: 'solid', width: 3, arrow: true },
  pending: { colour: COLOURS.pending, line: 'dashed', width: 2, arrow: true },
  unresolved: { colour: COLOURS.peer, line: 'dashed', width: 1.2, arrow: true },
  overlap: { colour: COLOURS.overlap, line: 'dashed', width: 2.5, arrow: false },
};

/** Highlights in order of precedence for the outline colour. */
const OUTLINE: readonly [Highlight, string][] = [
  ['exposed', COLOURS.exposure],
  ['overlap', COLOURS.overlap],
  ['pending', COLOURS.pending],
];

export interface NodeStyle {
  stroke: string;
  fill: string;
  width: number;
  dashed: boolean;
}

export function nodeStyle(node: MapNode): NodeStyle {
  const base =
    node.kind === 'component'
      ? { stroke: COLOURS.component, fill: COLOURS.componentFill }
      : node.kind === 'exposer'
        ? { stroke: COLOURS.exposure, fill: COLOURS.exposureFill }
        : { stroke: COLOURS.peer, fill: COLOURS.peerFill };
  const outline = OUTLINE.find(([h]) => node.highlights.includes(h));
  return {
    stroke: outline?.[1] ?? base.stroke,
    fill: base.fill,
    width: outline !== undefined || node.kind === 'exposer' ? 3 : 1.2,
    dashed: node.kind === 'peer' && node.workload === undefined && node.highlights.includes('overlap'),
  };
}

/** The classes of a node in the SVG and the Mermaid output: its kind, then its highlights. */
export const nodeClasses = (node: MapNode): string[] => [node.kind, ...node.highlights];
