// A unified line diff (LCS), enough to show how a generated object would change.

function splitLines(s: string): string[] {
  return s === '' ? [] : s.replace(/\n$/, '').split('\n');
}

/** lcs[i][j] is the length of a longest common subsequence of x[i..] and y[j..]. */
function lcsLengths(x: readonly string[], y: readonly string[]): number[][] {
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = y.length - 1; j >= 0; j--) {
      row[j] = x[i] === y[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  return lcs;
}

/** Lines of `a` and `b` as ` `, `-` or `+` prefixed lines; empty when equal. */
export function lineDiff(a: string, b: string): string[] {
  if (a === b) return [];
  const x = splitLines(a);
  const y = splitLines(b);
  const lcs = lcsLengths(x, y);
  // Remove x[i] when that keeps the common subsequence as long as adding y[j] would: on a tie,
  // removals come before additions.
  const removeFirst = (i: number, j: number): boolean => j === y.length || ((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push(`  ${x[i] as string}`);
      i++;
      j++;
    } else if (i < x.length && removeFirst(i, j)) {
      out.push(`- ${x[i++] as string}`);
    } else {
      out.push(`+ ${y[j++] as string}`);
    }
  }
  return out;
}

/** Keeps changed lines and `context` unchanged lines around them; gaps become `…`. */
export function withContext(lines: readonly string[], context = 3): string[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.startsWith('  ')) return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (keep[i]) out.push(l);
    else if (keep[i - 1] === true || (i === 0 && lines.length > 0)) out.push('  …');
  });
  return out;
}
