// Laying out and drawing the DOT with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz),
// in-process and offline: the report page gets the finished SVG and needs no script to show it.
import { Graphviz } from '@hpcc-js/wasm-graphviz';

let loaded: Promise<Graphviz> | undefined;

/** renderSvg lays `dot` out with dot(1) and returns the SVG element alone, ready to inline in HTML. */
export async function renderSvg(dot: string): Promise<string> {
  loaded ??= Graphviz.load();
  const svg = (await loaded).dot(dot, 'svg');
  // The XML prolog and the DOCTYPE belong to a standalone file; the comments only repeat names
  // (Graphviz writes them escaped, but the page needs them no more than the reader does).
  return svg
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!DOCTYPE[^>]*>/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .trim();
}
