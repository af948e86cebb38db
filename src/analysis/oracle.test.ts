// Agreement with the 110 cases of the netpol-analyzer oracle, vendored in
// testdata/netpol-analyzer/ (its README says where they come from; $BULKHEAD_ORACLE_DIR points at
// another copy with the same layout). Every case is run with the oracle's modelling choices (the
// defaults) and the sorted connlist lines must equal the expected ones.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from './analyze.js';
import { ConnSet, type Protocol } from './connections.js';
import { formatConnlist } from './connectivity.js';
import { emptyFacts, parseManifests } from './manifests.js';

const VENDORED = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'netpol-analyzer');

function oracleDir(): string {
  const fromEnv = process.env.BULKHEAD_ORACLE_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : VENDORED;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/;

function manifestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...manifestFiles(p));
    else if (MANIFEST_EXT.test(name) && !name.startsWith('expected_') && !name.startsWith('connlist_output')) out.push(p);
  }
  return out;
}

function actualLines(caseDir: string): string[] {
  const facts = emptyFacts();
  for (const f of manifestFiles(caseDir)) parseManifests(facts, readFileSync(f, 'utf8'), f);
  return formatConnlist(analyze(facts)).sort();
}

const keep = (l: string): boolean => l.trim() !== '' && !l.startsWith('{ingress-controller}');

/** The connlist block of expected_connlist.txt or expected_exposure.txt. */
function expectedConnlist(caseDir: string): string[] | undefined {
  const connlist = join(caseDir, 'expected_connlist.txt');
  if (existsSync(connlist)) return readFileSync(connlist, 'utf8').split('\n').map((l) => l.trimEnd()).filter(keep).sort();
  const exposure = join(caseDir, 'expected_exposure.txt');
  if (existsSync(exposure)) {
    const text = readFileSync(exposure, 'utf8');
    const block = text.split('Exposure Analysis Result')[0] ?? '';
    return block.split('\n').map((l) => l.trimEnd()).filter(keep).sort();
  }
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
 * For the cases with only expected_explain.txt: the allowed connections of each pair are the union
 * of its "Allowed ..." lines, and the pairs listed under "All Connections due to the system
 * default" have all connections. That is the same information as a connlist.
 */
function connlistFromExplain(text: string): string[] {
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

/**
 * Cases where we knowingly differ from the oracle, each justified from the Kubernetes docs.
 * Empty: we agree on all 110.
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map();

const ORACLE = oracleDir();

describe('netpol-analyzer oracle', () => {
  it('has the 110 cases', () => {
    if (!existsSync(join(ORACLE, 'cases'))) throw new Error(`oracle not found: ${ORACLE} has no cases/ folder`);
    expect(readdirSync(join(ORACLE, 'cases')).length).toBe(110);
  });

  const cases = existsSync(join(ORACLE, 'cases')) ? readdirSync(join(ORACLE, 'cases')).sort() : [];
  const caseDir = (c: string): string => join(ORACLE, 'cases', c);

  it.each(cases.filter((c) => !EXCEPTIONS.has(c) && expectedConnlist(caseDir(c)) !== undefined))('%s: connlist', (c) => {
    expect(actualLines(caseDir(c))).toEqual(expectedConnlist(caseDir(c)));
  });

  const explainOnly = cases.filter((c) => !EXCEPTIONS.has(c) && expectedConnlist(caseDir(c)) === undefined);
  it('has exactly the five explain-only cases', () => {
    expect(explainOnly.length).toBe(5);
  });
  it.each(explainOnly)('%s: connlist derived from expected_explain.txt', (c) => {
    const expected = connlistFromExplain(readFileSync(join(caseDir(c), 'expected_explain.txt'), 'utf8'));
    expect(expected.length).toBeGreaterThan(0);
    expect(actualLines(caseDir(c))).toEqual(expected);
  });

  it('explain-derived connlists agree with expected_connlist.txt where a case has both', () => {
    const both = cases.filter((c) => existsSync(join(caseDir(c), 'expected_explain.txt')) && existsSync(join(caseDir(c), 'expected_connlist.txt')));
    expect(both.length).toBeGreaterThan(0);
    for (const c of both) {
      const fromExplain = connlistFromExplain(readFileSync(join(caseDir(c), 'expected_explain.txt'), 'utf8'));
      expect({ c, lines: fromExplain }).toEqual({ c, lines: expectedConnlist(caseDir(c)) });
    }
  });
});
