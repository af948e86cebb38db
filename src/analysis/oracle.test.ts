// Agreement with the 110 cases of the netpol-analyzer oracle, vendored in
// testdata/netpol-analyzer/ (its README says where they come from; $BULKHEAD_ORACLE_DIR points at
// another copy with the same layout). Every case is run with the oracle's modelling choices (the
// defaults) and the sorted connlist lines must equal the expected ones.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from './analyze.js';
import { formatConnlist } from './connectivity.js';
import { emptyFacts, parseManifests } from './manifests.js';
import { connlistFromExplain, expectedConnlist as expectedOf, isCaseManifest } from './oracle-expected.js';

const VENDORED = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'netpol-analyzer');

function oracleDir(): string {
  const fromEnv = process.env.BULKHEAD_ORACLE_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : VENDORED;
}

function manifestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...manifestFiles(p));
    else if (isCaseManifest(name)) out.push(p);
  }
  return out;
}

function actualLines(caseDir: string): string[] {
  const facts = emptyFacts();
  for (const f of manifestFiles(caseDir)) parseManifests(facts, readFileSync(f, 'utf8'), f);
  return formatConnlist(analyze(facts)).sort();
}

const readIf = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/** The connlist block of expected_connlist.txt or expected_exposure.txt. */
function expectedConnlist(caseDir: string): string[] | undefined {
  const connlist = readIf(join(caseDir, 'expected_connlist.txt'));
  const exposure = readIf(join(caseDir, 'expected_exposure.txt'));
  return connlist === undefined && exposure === undefined ? undefined : expectedOf({ ...(connlist === undefined ? {} : { connlist }), ...(exposure === undefined ? {} : { exposure }) });
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
