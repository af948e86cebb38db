// Escaping for the three languages the segment map is written in. Names and labels come from
// AIWorkloads, foreign NetworkPolicies and pods (from files, unchecked by any API server), so
// every string that reaches a writer is treated as hostile: it may close a quote, open a tag or
// end a Markdown fence, and must never do any of that.

/**
 * A DOT double-quoted string. In DOT only `\"` is an escape, but labels are escString, where `\`
 * starts `\n`, `\N`, `\G`, ...: every backslash is doubled (a label shows one; a node name keeps
 * both, which still cannot end the quote). `&` is written as an entity because
 * Graphviz reads entities in labels and names (so `&lt;` would print as `<`); control characters
 * become spaces (a newline in a name would end nothing, but it would make the output unreadable).
 */
export function dotString(text: string): string {
  const body = controlsAsSpaces(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;');
  return `"${body}"`;
}

/** Every C0 control character and DEL as a space. */
export function controlsAsSpaces(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f ? ' ' : ch;
  }
  return out;
}

/** A DOT label of several lines: each escaped, joined by DOT's centred line break. */
export function dotLines(lines: readonly string[]): string {
  return `"${lines.map((l) => dotString(l).slice(1, -1)).join('\\n')}"`;
}

/** Characters Mermaid shows as they are inside a quoted label; everything else is an entity code. */
const MERMAID_PLAIN = /[A-Za-z0-9 .,:/_=+()[\]{}-]/;

/**
 * Mermaid text inside `"..."`. Mermaid turns labels into HTML and reads `#name;` entity codes, and
 * a label sits in a Markdown fence on a pull request, so anything but plain characters (quotes,
 * `<`, `&`, `#`, backticks, `|`, `;`, newlines) becomes `#<code point>;`.
 */
export function mermaidText(text: string): string {
  let out = '';
  for (const ch of text) out += MERMAID_PLAIN.test(ch) ? ch : `#${ch.codePointAt(0) ?? 32};`;
  return out;
}

/** A quoted Mermaid label of several lines. */
export function mermaidLines(lines: readonly string[]): string {
  return `"${lines.map(mermaidText).join('<br/>')}"`;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML text or attribute value (quoted with either quote). */
export function htmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}
