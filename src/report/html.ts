// The segment map as one self-contained HTML page (`bulkhead report`): the SVG Graphviz drew,
// inline, and beside it each AIWorkload's conditions and what the map highlights. No script, no
// external stylesheet, font or image; the Content-Security-Policy says so to the browser too, so
// even a name that got past the escaping could neither run code nor fetch anything.
import { htmlText } from './escape.js';
import type { EdgeKind, MapCondition, MapEdge, SegmentMap, WorkloadPanel } from './model.js';
import { COLOURS, EDGE_STYLES } from './style.js';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #111827; background: #fff; }
header { padding: 12px 20px; border-bottom: 1px solid #e5e7eb; }
header h1 { font-size: 20px; margin: 0; }
header p { margin: 2px 0 0; color: #4b5563; }
.layout { display: flex; gap: 16px; padding: 16px 20px; align-items: flex-start; }
.map { flex: 1 1 auto; overflow: auto; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px; }
.map svg { max-width: 100%; height: auto; }
aside { flex: 0 0 420px; max-width: 40%; }
aside h2 { font-size: 15px; margin: 0 0 6px; }
.workload { border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; }
aside h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #6b7280; margin: 10px 0 4px; }
ul.conditions { list-style: none; margin: 0; padding: 0; font-size: 12px; }
li.condition { padding: 4px 0; border-top: 1px solid #f3f4f6; }
li.condition .type { font-weight: 600; }
li.condition.bad .type { color: ${COLOURS.exposure}; }
li.condition .reason { color: #4b5563; }
ul.message { margin: 2px 0 0; padding-left: 18px; word-break: break-word; }
ul.findings { margin: 0; padding-left: 18px; font-size: 12px; word-break: break-word; }
li.exposure { color: ${COLOURS.exposure}; }
li.overlap { color: ${COLOURS.overlap}; }
li.pending { color: ${COLOURS.pending}; }
.none { color: #6b7280; font-size: 12px; }
footer { padding: 0 20px 16px; font-size: 12px; color: #374151; }
footer span.key { display: inline-block; width: 28px; height: 0; vertical-align: middle; margin: 0 4px 0 12px; }
`;

/** Conditions that say something is wrong when True (the others, Ready above all, when not True). */
const BAD_WHEN_TRUE = new Set(['Exposed', 'Overlapping', 'ConsentPending', 'PeerUnresolved', 'Stalled', 'IdentityDrift']);

const isBad = (c: MapCondition): boolean => (BAD_WHEN_TRUE.has(c.type) ? c.status === 'True' : c.type === 'Ready' && c.status !== 'True');

/** One block per condition: type, status and reason on a line, the message's parts (`; `) below. */
function conditionsList(conditions: readonly MapCondition[]): string {
  if (conditions.length === 0) return '<p class="none">No conditions.</p>';
  const items = conditions.map((c) => {
    const parts = c.message === '' ? [] : c.message.split('; ');
    const message = parts.length === 0 ? '' : `<ul class="message">${parts.map((m) => `<li>${htmlText(m)}</li>`).join('')}</ul>`;
    return `<li class="condition ${isBad(c) ? 'bad' : 'ok'}" data-type="${htmlText(c.type)}"><span class="type">${htmlText(c.type)}</span> <span class="status">${htmlText(c.status)}</span> <span class="reason">${htmlText(c.reason)}</span>${message}</li>`;
  });
  return `<ul class="conditions">${items.join('')}</ul>`;
}

const HIGHLIGHTED: ReadonlySet<EdgeKind> = new Set(['exposure', 'overlap', 'pending', 'unresolved']);

/** The highlighted edges that touch this workload's components, as a list under its conditions. */
function findings(panel: WorkloadPanel, map: SegmentMap): string {
  const mine = new Set(map.nodes.filter((n) => n.workload === panel.key).map((n) => n.key));
  const edges = map.edges.filter((e: MapEdge) => HIGHLIGHTED.has(e.kind) && (mine.has(e.from) || mine.has(e.to)));
  if (edges.length === 0) return '';
  const items = edges.map((e) => `<li class="${e.kind}" data-edge="${htmlText(e.id)}">${htmlText(e.detail)} (${htmlText(e.label)})</li>`);
  return `<h3>Highlighted in the map</h3><ul class="findings">${items.join('')}</ul>`;
}

function panelSection(panel: WorkloadPanel, map: SegmentMap): string {
  const drawn = panel.components > 0 ? '' : '<p class="none">Not drawn: the spec is invalid (see Stalled).</p>';
  return `<section class="workload" id="${htmlText(panel.id)}"><h2>AIWorkload ${htmlText(panel.key)}</h2>${drawn}<h3>Conditions</h3>${conditionsList(panel.conditions)}${findings(panel, map)}</section>`;
}

function legend(): string {
  const entry = (kind: EdgeKind, text: string): string => {
    const s = EDGE_STYLES[kind];
    return `<span class="key" style="border-top: ${s.width}px ${s.line} ${s.colour}"></span>${htmlText(text)}`;
  };
  return `<footer class="legend">${[
    entry('flow', 'declared flow'),
    entry('ingress', 'declared ingress / egress'),
    entry('dns', 'DNS'),
    entry('exposure', 'exposure: an undeclared peer can connect'),
    entry('overlap', 'overlap: segments share a pod'),
    entry('pending', 'consent pending: the other side has not declared it'),
    entry('unresolved', 'unresolved peer'),
  ].join('')}</footer>`;
}

/** toHtml writes the page; `svg` is the map's DOT as Graphviz drew it (renderSvg). */
export function toHtml(map: SegmentMap, svg: string): string {
  const panels = map.workloads.map((w) => panelSection(w, map)).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(map.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${htmlText(map.title)}</h1><p>${htmlText(map.source)}</p></header>
<div class="layout">
<section class="map" aria-label="segment map">
${svg}
</section>
<aside class="conditions">
${panels === '' ? '<p class="none">No AIWorkload in the input.</p>' : panels}
</aside>
</div>
${legend()}
</body>
</html>
`;
}
