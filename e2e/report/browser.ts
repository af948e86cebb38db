// A real browser for the report suite: Debian's headless Chromium (the chromium package, which
// .ci/run installs) driven by playwright-core, which downloads no browser of its own.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian installs it; BULKHEAD_CHROMIUM names another build. */
export const CHROMIUM = process.env['BULKHEAD_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the report's browser test needs it (apt-get install chromium, as .ci/run does; or set BULKHEAD_CHROMIUM to a Chromium binary)`);
  }
  return chromium.launch({ executablePath: CHROMIUM });
}

export interface OpenedPage {
  page: Page;
  /** Every URL the page requested, the page itself included. */
  requests: string[];
}

/** Opens `url` in a new page and records every request it makes from the first one on. */
export async function openPage(browser: Browser, url: string): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const requests: string[] = [];
  page.on('request', (r) => void requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests };
}

/** What the test reads of one drawn SVG element (a Graphviz node or edge group). */
export interface Drawn {
  title: string;
  id: string;
  classes: string[];
  /** The computed stroke of the element's first path or polygon, as rgb(...). */
  stroke: string;
  /** Drawn: its shape has a box of some width or height (a straight edge has no height) and is shown. */
  visible: boolean;
}

/**
 * What runs in the page, as text: the project compiles without the DOM's types (Node code only),
 * so the browser side is plain JavaScript and its result is read back as JSON.
 */
const COLLECT = (kind: 'node' | 'edge'): string => `JSON.stringify([...document.querySelectorAll('section.map svg g.${kind}')].map((g) => {
  const shape = g.querySelector('path, polygon, ellipse');
  const box = shape === null ? undefined : shape.getBoundingClientRect();
  return {
    title: g.querySelector('title')?.textContent ?? '',
    id: g.id,
    classes: [...g.classList],
    stroke: shape === null ? '' : getComputedStyle(shape).stroke,
    visible: box !== undefined && (box.width > 0 || box.height > 0) && getComputedStyle(g).visibility !== 'hidden' && getComputedStyle(shape).display !== 'none',
  };
}))`;

/** Every `g.node` and `g.edge` of the map, with their SVG titles (Graphviz writes the DOT names there). */
export async function drawnElements(page: Page, kind: 'node' | 'edge'): Promise<Drawn[]> {
  return JSON.parse(String(await page.evaluate(COLLECT(kind)))) as Drawn[];
}

/** How many elements match `selector` in the page. */
export async function count(page: Page, selector: string): Promise<number> {
  return Number(await page.evaluate(`document.querySelectorAll(${JSON.stringify(selector)}).length`));
}
