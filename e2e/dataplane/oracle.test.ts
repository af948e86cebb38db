// The netpol-analyzer oracle on packets: every case whose pods the dataplane can make is built for
// real (its namespaces with their labels, a pod per peer with the case's ports, its policies),
// probed as a matrix in both families, and the packets compared with the oracle's connlist and
// with `bulkhead explain --live`. Where they differ, KNOWN_DIFFERENCES says why; a difference it
// does not list fails, and so does an entry that no longer differs. docs/oracle-on-packets.md
// tells the results.
import { bulkhead } from '../harness/cli.js';
import { kubectl } from '../harness/cluster.js';
import { type Dataplane, startDataplane } from '../harness/dataplane.js';
import { AnalysisVerdicts, liveVerdicts } from './analysis.js';
import { inCidr } from './declared.js';
import { type CaseProbe, type CaseReport, type Difference, compareWithAnalysis, compareWithOracle } from './oracle-compare.js';
import { LIMITS, type OracleCase, countProbes, readCases } from './oracle-cases.js';
import { type Batch, type BatchCase, Canary, RUN_LABEL, emptyBatch, makeBatch, removeBatch } from './oracle-world.js';

/** Why the packets differ from a model, as the suite recognises it (see classify). */
type Reason = 'ipBlock admits a pod' | 'ipBlock admits the pod in its other family' | 'unexplained';

interface Known {
  /** The reasons of the differences from the oracle, from explain --live, and from it with --ipblock-matches-pods. */
  oracle: Reason[];
  analysis: Reason[];
  analysisWithSwitch: Reason[];
  why: string;
}

const IPBLOCK_WHY = 'The enforcer matches an ipBlock against any address, pod addresses included '
  + '(evaluateIPBlocks in pkg/networkpolicy/networkpolicy.go); the oracle, and the analysis by default, '
  + 'match ipBlocks only against addresses outside the cluster. The case\'s ipBlock covers the pod range '
  + '(10.244.0.0/16), so pods it admits only by ipBlock connect over IPv4. With --ipblock-matches-pods the analysis '
  + 'admits those pods too, but in both families: it decides per pod (a pod is matched when any of its addresses is in '
  + 'the block), the enforcer per packet, so over IPv6, whose address no IPv4 block holds, the packets are refused.';

/** Cases whose packets differ from the oracle or the analysis, and why. */
const KNOWN_DIFFERENCES: ReadonlyMap<string, Known> = new Map<string, Known>([
  ['semanticDiff-different-topologies-policy-a-with-ipblock', { oracle: ['ipBlock admits a pod'], analysis: ['ipBlock admits a pod'], analysisWithSwitch: ['ipBlock admits the pod in its other family'], why: IPBLOCK_WHY }],
  ['semanticDiff-different-topologies-policy-b-with-ipblock', { oracle: ['ipBlock admits a pod'], analysis: ['ipBlock admits a pod'], analysisWithSwitch: ['ipBlock admits the pod in its other family'], why: IPBLOCK_WHY }],
]);

const RUN = `bho${Date.now().toString(36).slice(-4)}`;
/** Batches are made together and probed together; a run stops starting batches after BUDGET_MS. */
const BATCH = { pods: 30, probes: 2_500 } as const;
const BUDGET_MS = 230_000;

const CASES = readCases();
/** Cases with ipBlocks first: when the budget runs out, it is the plain cases that wait for the next run. */
const RUNNABLE = CASES.map((c, index) => ({ c, index })).filter(({ c }) => c.excluded === undefined)
  .sort((a, b) => Number(b.c.ipBlocks.length > 0) - Number(a.c.ipBlocks.length > 0) || a.index - b.index);

function batches(): { c: OracleCase; index: number }[][] {
  const out: { c: OracleCase; index: number }[][] = [];
  let current: { c: OracleCase; index: number }[] = [];
  const size = (b: typeof current): { pods: number; probes: number } => ({ pods: b.reduce((n, x) => n + x.c.pods.length, 0), probes: b.reduce((n, x) => n + countProbes(x.c), 0) });
  for (const x of RUNNABLE) {
    const next = size([...current, x]);
    if (current.length > 0 && (next.pods > BATCH.pods || next.probes > BATCH.probes)) {
      out.push(current);
      current = [];
    }
    current.push(x);
  }
  if (current.length > 0) out.push(current);
  return out;
}

const BATCHES = batches();

const summary = { cases: 0, pods: 0, probes: 0, open: 0, units: 0, oracleDiffs: 0, analysisDiffs: 0, notRun: [] as string[], differing: [] as string[] };

let dp: Dataplane;
let canary: Canary;
let deadline = 0;

beforeAll(async () => {
  dp = await startDataplane();
  canary = await Canary.create(dp, RUN);
  deadline = Date.now() + BUDGET_MS;
}, 180_000);

afterAll(async () => {
  process.stderr.write(`[oracle] ${summary.cases} cases run (${summary.notRun.length} not run for time${summary.notRun.length > 0 ? `: ${summary.notRun.join(', ')}` : ''}), `
    + `${CASES.length - RUNNABLE.length} excluded; ${summary.pods} pods, ${summary.probes} probes, ${summary.open} connected; `
    + `${summary.units} units against the oracle: ${summary.oracleDiffs} differ; ${summary.analysisDiffs} probes differ from explain --live; `
    + `cases that differ: ${summary.differing.join(', ') || 'none'}\n`);
  await canary?.remove().catch(() => undefined);
  await dp?.stop();
  await kubectl(['delete', 'namespace', '-l', `${RUN_LABEL}=${RUN}`, '--wait=false']);
}, 120_000);

test('every case is run or excluded for a reason, and every known difference names a case that runs', () => {
  const reasons = new Map<string, string[]>();
  for (const c of CASES.filter((x) => x.excluded !== undefined)) {
    const why = (c.excluded ?? '').replace(/^\d+ /, 'N ');
    reasons.set(why, [...(reasons.get(why) ?? []), c.name]);
  }
  process.stderr.write(`[oracle] ${CASES.length} cases: ${RUNNABLE.length} can be made (at most ${LIMITS.pods} pods, ${LIMITS.outside} ipBlock listeners, ${LIMITS.probes} probes), in ${BATCHES.length} batches; excluded:\n`
    + [...reasons].map(([why, names]) => `  ${names.length} x ${why}: ${names.join(', ')}\n`).join(''));
  expect(CASES.length).toBe(110);
  expect(RUNNABLE.length + [...reasons.values()].flat().length).toBe(110);
  expect([...KNOWN_DIFFERENCES.keys()].filter((k) => !RUNNABLE.some((x) => x.c.name === k))).toEqual([]);
});

describe.each(BATCHES.map((b, i) => [i, b] as const))('batch %i', (round, cases) => {
  test(`${cases.length} cases: ${cases.map((x) => x.c.name).join(', ')}`, async () => {
    if (Date.now() > deadline) {
      summary.notRun.push(...cases.map((x) => x.c.name));
      process.stderr.write(`[oracle] batch ${round}: not run, the time budget (${BUDGET_MS / 1000} s) is spent\n`);
      return;
    }
    const began = Date.now();
    const batch = emptyBatch();
    try {
      await makeBatch(dp, RUN, cases, batch);
      const made = Date.now();
      await canary.close(round + 1);
      const problems = await probeBatch(batch);
      process.stderr.write(`[oracle] batch ${round}: ${cases.length} cases made in ${((made - began) / 1000).toFixed(1)} s, probed and compared in ${((Date.now() - made) / 1000).toFixed(1)} s\n`);
      expect(problems).toEqual([]);
    } finally {
      const removing = Date.now();
      await removeBatch(dp, batch);
      await canary.open();
      process.stderr.write(`[oracle] batch ${round}: removed in ${((Date.now() - removing) / 1000).toFixed(1)} s\n`);
    }
  }, 180_000);
});

async function probeBatch(batch: Batch): Promise<string[]> {
  const probes = batch.cases.flatMap((bc) => bc.probes);
  // 250 ms, tried twice: an answer here takes a few milliseconds; a refusal costs the two timeouts.
  const results = await dp.probeAll(probes, { concurrency: 128, timeoutMs: 250 });
  for (const r of results) {
    if (r.result.open && r.result.peer !== undefined && r.result.peer !== r.to) throw new Error(`${r.from} -> ${r.to} ${r.address} was answered by ${r.result.peer}`);
  }
  const analysis = await liveVerdicts();
  const withSwitch = batch.cases.some((bc) => bc.c.ipBlocks.length > 0) ? await liveVerdictsWithSwitch() : undefined;
  let next = 0;
  return batch.cases.flatMap((bc) => {
    const own = results.slice(next, next + bc.probes.length);
    next += bc.probes.length;
    return checkCase(bc, own, analysis, withSwitch);
  });
}

async function liveVerdictsWithSwitch(): Promise<AnalysisVerdicts> {
  const r = await bulkhead(['explain', '--live', '-o', 'json', '--ip-family', 'dual', '--ipblock-matches-pods']);
  if (r.code !== 0) throw new Error(`bulkhead explain --live --ipblock-matches-pods exited ${r.code}: ${r.stderr}`);
  return new AnalysisVerdicts(JSON.parse(r.stdout) as ConstructorParameters<typeof AnalysisVerdicts>[0]);
}

function report(bc: BatchCase, results: readonly CaseProbe[], analysis: AnalysisVerdicts, withSwitch: AnalysisVerdicts | undefined): CaseReport {
  const oracle = compareWithOracle(bc.c, bc.hosts, results);
  return {
    probes: results.length,
    open: results.filter((r) => r.result.open).length,
    units: oracle.units,
    oracle: oracle.differences,
    analysis: compareWithAnalysis(bc.hosts, results, analysis),
    ...(withSwitch === undefined || bc.c.ipBlocks.length === 0 ? {} : { analysisWithSwitch: compareWithAnalysis(bc.hosts, results, withSwitch) }),
  };
}

/** classify names the reason of one difference, or 'unexplained'. */
function classify(c: OracleCase, d: Difference): Reason {
  const inBlock = (a: string): boolean => c.ipBlocks.some((b) => inCidr(a, b.cidr) && !b.except.some((x) => inCidr(a, x)));
  if (!d.pods) return 'unexplained';
  if (d.packets && !d.model && d.family === 4 && d.addresses.some(inBlock)) return 'ipBlock admits a pod';
  if (!d.packets && d.model && d.family === 6 && d.hostAddresses.some(inBlock)) return 'ipBlock admits the pod in its other family';
  return 'unexplained';
}

const reasonsOf = (c: OracleCase, ds: readonly Difference[]): Reason[] => [...new Set(ds.map((d) => classify(c, d)))].sort();

/** checkCase compares a case's report with its entry in KNOWN_DIFFERENCES; problems are returned as text. */
function checkCase(bc: BatchCase, results: readonly CaseProbe[], analysis: AnalysisVerdicts, withSwitch: AnalysisVerdicts | undefined): string[] {
  const { c } = bc;
  const r = report(bc, results, analysis, withSwitch);
  tally(c, r);
  const known = KNOWN_DIFFERENCES.get(c.name) ?? { oracle: [], analysis: [], analysisWithSwitch: [], why: '' };
  const problems: string[] = [];
  const check = (what: string, ds: readonly Difference[] | undefined, expected: readonly Reason[]): void => {
    if (ds === undefined) return;
    const seen = reasonsOf(c, ds);
    if (JSON.stringify(seen) === JSON.stringify([...expected].sort())) return;
    const shown = ds.slice(0, 6).map((d) => `${d.key} (packets ${d.packets ? 'connected' : 'refused'})`).join('; ');
    problems.push(`${c.name}: differs from ${what} for [${seen.join(', ')}], expected [${expected.join(', ')}]: ${shown}`);
  };
  check('the oracle', r.oracle, known.oracle);
  check('explain --live', r.analysis, known.analysis);
  check('explain --live --ipblock-matches-pods', r.analysisWithSwitch, known.analysisWithSwitch);
  return problems;
}

function tally(c: OracleCase, r: CaseReport): void {
  summary.cases++;
  summary.pods += c.pods.length;
  summary.probes += r.probes;
  summary.open += r.open;
  summary.units += r.units;
  summary.oracleDiffs += r.oracle.length;
  summary.analysisDiffs += r.analysis.length;
  if (r.oracle.length + r.analysis.length > 0) summary.differing.push(c.name);
  process.stderr.write(`[oracle] ${c.name}: ${c.pods.length} pods, ${r.probes} probes, ${r.open} connected; ${r.units} units, ${r.oracle.length} differ from the oracle; `
    + `${r.analysis.length} probes differ from explain --live${r.analysisWithSwitch === undefined ? '' : `, ${r.analysisWithSwitch.length} from it with --ipblock-matches-pods`}${c.adaptations.length > 0 ? ` (${c.adaptations.join('; ')})` : ''}\n`);
}

