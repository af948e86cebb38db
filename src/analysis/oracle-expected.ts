// What a netpol-analyzer case (testdata/netpol-analyzer/) expects, read from its expected_*.txt
// files as sorted connlist lines `SRC => DST : CONN`. Pure: the callers read the files. Used by
// the oracle's unit test and by the suite that replays the cases on packets.
import { ConnSet, type Protocol } from './connections.js';

/** isCaseManifest: a file of a case's input (not one of its expected outputs). */
export function isCaseManifest(fileName: string): boolean {
  return /\.(ya?ml|json)$/.test(fileName) && !fileName.startsWith('expected_') && !fileName.startsWith('connlist_output');
}

/** Lines about Ingress and Route objects are no NetworkPolicy connectivity: they are not compared. */
const keep = (l: string): boolean => l.trim() !== '' && !l.startsWith('{ingress-controller}');

const lines = (text: string): string[] => text.split('\n').map((l) => l.trimEnd()).filter(keep).sort();

/** The expected connlist of the case's files: expected_connlist.txt, else expected_exposure.txt, else expected_explain.txt. */
export function expectedConnlist(files: { connlist?: string; exposure?: string; explain?: string }): string[] | undefined {
  if (files.connlist !== undefined) return lines(files.connlist);
  if (files.exposure !== undefined) return lines(files.exposure.split('Exposure Analysis Result')[0] ?? '');
  if (files.explain !== undefined) return connlistFromExplain(files.explain);
  return undefined;
}

/** `TCP:[1-79,81-65535], UDP, SCTP` (explain notation) -> ConnSet. */
function parseExplainConns(text: string): ConnSet {
  let acc = ConnSet.empty();
  for (const m of text.matchAll(/(TCP|UDP|SCTP)(?::\[([^\]]*)\])?/g)) {
    const proto = m[1] as Protocol;
    if (m[2] === undefined) {
      acc = acc.union(ConnSet.protocol(proto));
      continue;
    }
    for (const r of m[2].split(',')) {
      const [lo, hi] = r.split('-').map(Number);
      acc = acc.union(ConnSet.ports(proto, lo as number, hi ?? (lo)));
    }
  }
  return acc;
}

/**
 * connlistFromExplain reads expected_explain.txt: the allowed connections of each pair are the
 * union of its "Allowed ..." lines, and the pairs listed under "All Connections due to the system
 * default" have all connections. That is the same information as a connlist.
 */
export function connlistFromExplain(text: string): string[] {
  const pairs = new Map<string, ConnSet>();
  let current: string | undefined;
  let inDefault = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const between = /^Connections between (.+) => (.+):$/.exec(line);
    if (between !== null) {
      current = `${between[1]} => ${between[2]}`;
      pairs.set(current, pairs.get(current) ?? ConnSet.empty());
      inDefault = false;
      continue;
    }
    if (line.startsWith('# All Connections due to the system default')) {
      inDefault = true;
      current = undefined;
      continue;
    }
    const allowed = /^Allowed (.+) due to /.exec(line);
    if (allowed !== null && current !== undefined) {
      pairs.set(current, (pairs.get(current) as ConnSet).union(parseExplainConns(allowed[1] as string)));
      continue;
    }
    if (inDefault && / => /.test(line) && !line.startsWith('#')) pairs.set(line, ConnSet.all());
  }
  return [...pairs.entries()].filter(([, c]) => !c.isEmpty()).map(([p, c]) => `${p} : ${c.toString()}`).filter(keep).sort();
}
