// `bulkhead exposure`: every way into or out of a segment that its AIWorkload did not declare, as
// the operator's Exposed condition computes it (the generated policies in place of the live ones,
// both address families), but all of them: the condition names the first few.
import { KubeConfig } from '../runtime/kubeconfig.js';
import type { ClusterFacts } from '../analysis/types.js';
import { validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import { defaultPlatform, type CompileFacts, type PlatformConfig } from '../compile/facts.js';
import { podsThatCount } from '../compile/live-facts.js';
import { exposureFindings } from '../controller/exposure.js';
import { createRestClient } from '../runtime/rest.js';
import { HELP, type CommandCompletion, type FlagTable, type Stop, helpFlag, parseFlagTable } from './flag-table.js';
import { listAIWorkloads, type LiveAIWorkload, liveCompileFacts } from './live-compile.js';
import type { CliIO } from './main.js';
import { PLATFORM_USAGE, namespaceOption, platformFlags } from './platform-flags.js';

const USAGE = `Usage: bulkhead exposure [-n NAMESPACE] [-o txt|json] [platform flags]
  For every AIWorkload (in NAMESPACE, or all), every peer that can reach one of its segments, or
  that a segment can reach, beyond what it declared, with the NetworkPolicies responsible: what
  the Exposed condition reports, without its cut to the first three. One line each:
    NAMESPACE/AIWORKLOAD COMPONENT DIRECTION: SRC => DST : CONN (via POLICIES)
  Exit 0 when nothing is exposed, 1 when something is, 2 on a usage or cluster error.
  Pass the platform flags the operator runs with:
${PLATFORM_USAGE}`;

interface ExposureArgs {
  namespace?: string;
  output: 'txt' | 'json';
  platform: PlatformConfig;
}

const TABLE: FlagTable<ExposureArgs> = {
  flags: [
    helpFlag,
    namespaceOption<ExposureArgs>(),
    {
      names: ['-o', '--output'],
      values: ['txt', 'json'],
      set: (a, v) => {
        if (v !== 'txt' && v !== 'json') return `-o must be txt or json, not "${v}"`;
        a.output = v;
        return undefined;
      },
    },
    ...platformFlags<ExposureArgs>(),
  ],
  isValue: (arg) => !arg.startsWith('-'),
  other: (arg) => `unknown argument "${arg}"`,
};

/** For `bulkhead completion`. */
export const EXPOSURE_COMPLETION: CommandCompletion = { flags: TABLE.flags };

export interface ExposureRow {
  workload: string;
  component: string;
  direction: 'Ingress' | 'Egress';
  src: string;
  dst: string;
  conn: string;
  policies: string[];
}

/** The cluster as the operator's caches hold it for exposure: namespaces, pods, policies. */
async function clusterFacts(rest: ReturnType<typeof createRestClient>): Promise<ClusterFacts> {
  const list = async <T>(path: string, kind: string): Promise<T[]> => ((await rest.request<{ items?: T[] }>('GET', path)).items ?? []).map((i) => ({ ...i, kind }));
  const [namespaces, pods, networkPolicies] = await Promise.all([
    list<ClusterFacts['namespaces'][number]>('/api/v1/namespaces', 'Namespace'),
    list<ClusterFacts['pods'][number] & { status?: { phase?: string } }>('/api/v1/pods', 'Pod'),
    list<ClusterFacts['networkPolicies'][number]>('/apis/networking.k8s.io/v1/networkpolicies', 'NetworkPolicy'),
  ]);
  // Pods that have finished no longer take part in networking.
  return { namespaces, pods: podsThatCount(pods), workloads: [], networkPolicies };
}

/** The rows of one AIWorkload; none when its spec is invalid (it is Stalled, nothing is generated). */
function rowsOf(w: LiveAIWorkload, facts: ClusterFacts, compileFacts: CompileFacts): ExposureRow[] {
  const v = validateSpec(w.spec);
  const name = w.metadata?.name ?? '';
  const namespace = w.metadata?.namespace ?? 'default';
  if (!v.ok) return [];
  const { objects } = compile({ name, namespace, uid: w.metadata?.uid, spec: v.spec }, compileFacts);
  return exposureFindings(facts, namespace, v.spec, objects).flatMap((e) =>
    e.findings.map((f) => ({
      workload: `${namespace}/${name}`,
      component: e.component,
      direction: f.direction,
      src: f.source.id,
      dst: f.target.id,
      conn: f.excess.toString(),
      policies: f.policies,
    })),
  );
}

export function formatRows(rows: readonly ExposureRow[]): string {
  const via = (r: ExposureRow): string => (r.policies.length > 0 ? r.policies.join(', ') : 'no policy isolates it');
  return rows.map((r) => `${r.workload} ${r.component} ${r.direction}: ${r.src} => ${r.dst} : ${r.conn} (via ${via(r)})\n`).join('');
}

export async function runExposure(argv: string[], io: CliIO): Promise<number> {
  const args = parseFlagTable<ExposureArgs, Stop>(argv, TABLE, { output: 'txt', platform: defaultPlatform() });
  if (args === HELP) return (io.stdout(USAGE), 0);
  if (typeof args === 'string') return (io.stderr(`bulkhead exposure: ${args}\n${USAGE}`), 2);
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const rest = createRestClient(kc);
    const notes: string[] = [];
    const [workloads, facts, compileFacts] = await Promise.all([listAIWorkloads(rest, args.namespace), clusterFacts(rest), liveCompileFacts(rest, args.platform, [], notes)]);
    for (const n of notes) io.stderr(`note: ${n}\n`);
    const rows = workloads.flatMap((w) => rowsOf(w, facts, compileFacts));
    io.stdout(args.output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : formatRows(rows));
    return rows.length > 0 ? 1 : 0;
  } catch (err) {
    io.stderr(`bulkhead exposure: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}
