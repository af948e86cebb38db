// A unified line diff (LCS), enough to show how a generated object would change.

/** Lines of `a` and `b` as ` `, `-` or `+` prefixed lines; empty when equal. */
export function lineDiff(a: string, b: string): string[] {
  if (a === b) return [];
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      (lcs[i] as number[])[j] = x[i] === y[j] ? ((lcs[i + 1] as number[])[j + 1] as number) + 1 : Math.max((lcs[i + 1] as number[])[j] as number, (lcs[i] as number[])[j + 1] as number);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      out.push(`  ${x[i] as string}`);
      i++;
      j++;
    } else if (i < n && (j === m || ((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))) {
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
