// `bulkhead explain`: the reachability matrix under the NetworkPolicies, from manifest files or from
// the live cluster, and per-pair explanations. The analysis itself is pure (src/analysis); this
// module does the reading.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { analyze } from '../analysis/analyze.js';
import { connectivityJson, formatConnlist, type Connectivity } from '../analysis/connectivity.js';
import { explainPair, findPeer, formatPairExplanation } from '../analysis/explain-pair.js';
import { emptyFacts, ManifestError, parseManifests, type MutableFacts } from '../analysis/manifests.js';
import { buildModel } from '../analysis/model.js';
import { compilePolicy } from '../analysis/policy.js';
import { withDefaults, type AnalysisOptions, type ClusterFacts, type IpFamilies } from '../analysis/types.js';
import { defaultPlatform } from '../compile/facts.js';
import { podsThatCount } from '../compile/live-facts.js';
import { HELP, helpFlag, parseFlagTable, type CommandCompletion, type FlagTable } from './flag-table.js';
import type { CliIO } from './main.js';

const USAGE = `Usage: bulkhead explain (-d DIR ... | --live [-n NAMESPACE]) [-o txt|json|dot|mermaid] [--from PEER --to PEER] [--ipblock-matches-pods] [--ip-family ipv4|dual]

Prints every ordered pair of peers that NetworkPolicy v1 lets connect, one line each:
  SRC => DST : CONN
Peers are ns/name[Kind] (workload controllers, or pods grouped by their owner) and external
IPv4 ranges a.b.c.d-e.f.g.h[External]; with --ip-family dual also IPv6 ranges such as
2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External], printed after all other peers.

Flags:
  -d DIR                    read .yaml/.yml/.json manifests under DIR, recursively (repeatable)
  --live                    read Namespaces, Pods, workloads and NetworkPolicies from the cluster
                            (current kubeconfig, or in-cluster config)
  -n NAMESPACE              with --live: print only pairs with an end in NAMESPACE
  -o txt|json               output format (default txt)
  -o dot|mermaid            the segment map instead: the AIWorkloads in the input, their components,
                            flows and peers, and every exposure, overlap and consent-pending peer
                            highlighted, as Graphviz DOT or a Mermaid flowchart (for a pull request
                            comment); bulkhead report draws it as an HTML page
  --from PEER --to PEER     explain one pair: which policies and rules allow or deny it, per direction
  --ipblock-matches-pods    let ipBlocks match pod IPs too (default: they match only external IPs)
  --ip-family ipv4|dual     ipv4 (default): the outside world is IPv4 space and IPv6 cidrs are
                            ignored; dual: IPv4 and IPv6 space, IPv6 cidrs and pod IPs honoured

Exit 0 printed, 2 unreadable or invalid manifests, a cluster error or a usage error.
`;

/** --ip-family values and the AnalysisOptions.ipFamilies each stands for. */
const IP_FAMILIES: Readonly<Record<string, IpFamilies>> = { ipv4: 'IPv4', dual: 'Dual' };

interface Flags {
  dirs: string[];
  live: boolean;
  namespace?: string;
  output: Output;
  from?: string;
  to?: string;
  options: Partial<AnalysisOptions>;
}

class UsageError extends Error {}

const OUTPUTS = ['txt', 'json', 'dot', 'mermaid'] as const;
type Output = (typeof OUTPUTS)[number];
const isOutput = (v: string): v is Output => (OUTPUTS as readonly string[]).includes(v);

const FLAGS: FlagTable<Flags> = {
  flags: [
    helpFlag,
    { names: ['-d', '--dir'], valueKind: 'directory', set: (flags, value) => { flags.dirs.push(value); } },
    { names: ['--live'], takesValue: false, set: (flags) => { flags.live = true; } },
    { names: ['-n', '--namespace'], set: (flags, value) => { flags.namespace = value; } },
    {
      names: ['-o', '--output'],
      values: OUTPUTS,
      set: (flags, value) => {
        if (!isOutput(value)) return `-o must be txt, json, dot or mermaid, not "${value}"`;
        flags.output = value;
        return undefined;
      },
    },
    { names: ['--from'], set: (flags, value) => { flags.from = value; } },
    { names: ['--to'], set: (flags, value) => { flags.to = value; } },
    { names: ['--ipblock-matches-pods'], takesValue: false, set: (flags) => { flags.options.ipBlockMatchesPods = true; } },
    {
      names: ['--ip-family'],
      values: Object.keys(IP_FAMILIES),
      set: (flags, value, flag) => {
        const families = Object.hasOwn(IP_FAMILIES, value) ? IP_FAMILIES[value] : undefined;
        if (families === undefined) return `${flag} must be ${Object.keys(IP_FAMILIES).join(' or ')}, not "${value}"`;
        flags.options.ipFamilies = families;
        return undefined;
      },
    },
  ],
  // A flag where a value belongs means the value was forgotten.
  isValue: (arg) => !arg.startsWith('-'),
  other: (arg) => `unknown flag "${arg}"`,
};

/** For `bulkhead completion`. */
export const EXPLAIN_COMPLETION: CommandCompletion = { flags: FLAGS.flags };

function parseFlags(argv: string[]): Flags | 'help' {
  const flags = parseFlagTable(argv, FLAGS, { dirs: [], live: false, output: 'txt', options: {} });
  if (flags === HELP) return 'help';
  if (typeof flags === 'string') throw new UsageError(flags);
  if (flags.live === (flags.dirs.length > 0)) throw new UsageError('give either -d DIR or --live');
  if (flags.namespace !== undefined && !flags.live) throw new UsageError('-n works with --live; with -d, point -d at the files you want');
  if ((flags.from === undefined) !== (flags.to === undefined)) throw new UsageError('--from and --to go together');
  if (flags.from !== undefined && (flags.output === 'dot' || flags.output === 'mermaid')) throw new UsageError('--from and --to explain one pair in txt or json; -o dot|mermaid draws the segment map');
  return flags;
}

const MANIFEST = /\.(ya?ml|json)$/i;

async function manifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await manifestFiles(p)));
    else if (e.isFile() && MANIFEST.test(e.name)) out.push(p);
  }
  return out;
}

/** Compiling each NetworkPolicy as it is read makes an invalid one fail with the name of its file. */
function checkPolicies(policies: MutableFacts['networkPolicies'], file: string): void {
  for (const np of policies) {
    try {
      compilePolicy(np);
    } catch (err) {
      throw new ManifestError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * loadManifestDirs reads every manifest under the directories into ClusterFacts. Each
 * NetworkPolicy is validated here so that an error names its file.
 */
export async function loadManifestDirs(dirs: readonly string[]): Promise<ClusterFacts> {
  const facts: MutableFacts = emptyFacts();
  for (const dir of dirs) {
    const st = await stat(dir).catch(() => undefined);
    if (st === undefined) throw new ManifestError(`${dir}: no such file or directory`);
    const files = st.isDirectory() ? await manifestFiles(dir) : [dir];
    for (const f of files) {
      const before = facts.networkPolicies.length;
      parseManifests(facts, await readFile(f, 'utf8'), f);
      checkPolicies(facts.networkPolicies.slice(before), f);
    }
  }
  return facts;
}

/**
 * loadLiveFacts lists Namespaces, Pods, workload controllers and NetworkPolicies from the
 * cluster of the default kubeconfig, as raw JSON: the generated typed clients rename fields (an
 * ingress rule's `from` becomes `_from`), which would silently read every rule as "from anyone".
 * Loaded lazily so that file mode never pulls the client in.
 */
export async function loadLiveFacts(): Promise<ClusterFacts> {
  const { KubeConfig } = await import('../runtime/kubeconfig.js');
  const { createRestClient } = await import('../runtime/rest.js');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const rest = createRestClient(kc);
  type Item = { kind?: string; status?: { phase?: string } };
  const list = async (path: string, kind: string): Promise<Item[]> =>
    ((await rest.request<{ items?: Item[] }>('GET', path)).items ?? []).map((i) => ({ ...i, kind }));
  const [namespaces, pods, deployments, statefulSets, daemonSets, replicaSets, rcs, jobs, cronJobs, policies] = await Promise.all([
    list('/api/v1/namespaces', 'Namespace'),
    list('/api/v1/pods', 'Pod'),
    list('/apis/apps/v1/deployments', 'Deployment'),
    list('/apis/apps/v1/statefulsets', 'StatefulSet'),
    list('/apis/apps/v1/daemonsets', 'DaemonSet'),
    list('/apis/apps/v1/replicasets', 'ReplicaSet'),
    list('/api/v1/replicationcontrollers', 'ReplicationController'),
    list('/apis/batch/v1/jobs', 'Job'),
    list('/apis/batch/v1/cronjobs', 'CronJob'),
    list('/apis/networking.k8s.io/v1/networkpolicies', 'NetworkPolicy'),
  ]);
  return {
    namespaces: namespaces,
    // As the operator counts them: finished pods no longer take part in networking.
    pods: podsThatCount(pods) as ClusterFacts['pods'],
    workloads: [...deployments, ...statefulSets, ...daemonSets, ...replicaSets, ...rcs, ...jobs, ...cronJobs] as ClusterFacts['workloads'],
    networkPolicies: policies,
  };
}

/**
 * From the cluster, real Pods and their controllers are both present; the Pods are the truth
 * (they have IPs and the labels actually running), so controllers that own listed pods, or own
 * ReplicaSets/Jobs that do, are dropped to avoid printing the same pods twice.
 */
function preferPods(facts: ClusterFacts): ClusterFacts {
  const owned = new Set<string>();
  const ownersOf = (ns: string | undefined, refs: readonly { kind?: string; name?: string }[] | undefined): void => {
    for (const r of refs ?? []) owned.add(`${ns ?? 'default'}/${r.kind ?? ''}/${r.name ?? ''}`);
  };
  for (const p of facts.pods) ownersOf(p.metadata?.namespace, p.metadata?.ownerReferences);
  const key = (w: ClusterFacts['workloads'][number]): string => `${w.metadata?.namespace ?? 'default'}/${w.kind ?? ''}/${w.metadata?.name ?? ''}`;
  for (const w of facts.workloads) if (owned.has(key(w))) ownersOf(w.metadata?.namespace, w.metadata?.ownerReferences);
  return { ...facts, workloads: facts.workloads.filter((w) => !owned.has(key(w))) };
}

function render(c: Connectivity, flags: Flags): string {
  const keep = (ns: string): boolean => flags.namespace === undefined || ns === flags.namespace;
  const rows = c.connections.filter((x) => keep(x.src.namespace) || keep(x.dst.namespace));
  const filtered: Connectivity = { model: c.model, connections: rows };
  if (flags.output === 'json') return `${JSON.stringify(connectivityJson(filtered), null, 2)}\n`;
  const lines = formatConnlist(filtered);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function renderPair(facts: ClusterFacts, flags: Flags): string {
  const model = buildModel(facts, withDefaults(flags.options));
  const src = findPeer(model, flags.from as string);
  const dst = findPeer(model, flags.to as string);
  const missing = [src === undefined ? `--from "${flags.from}"` : undefined, dst === undefined ? `--to "${flags.to}"` : undefined].filter(Boolean);
  if (src === undefined || dst === undefined) {
    throw new ManifestError(`${missing.join(' and ')} matches no single peer; peers are:\n  ${model.peers.map((p) => p.id).join('\n  ')}`);
  }
  const ex = explainPair(model, src, dst);
  if (flags.output === 'json') {
    const dir = (v: (typeof ex)[number]['egress']): unknown =>
      v === undefined
        ? null
        : {
            isolated: v.isolated,
            allowed: v.allowed.toString(),
            policies: v.policies.map((p) => ({
              policy: p.policy.id,
              allowed: p.allowed.toString(),
              rules: p.rules.map((r) => ({ index: r.index, selectsPeer: r.peerMatches, allowed: r.allowed.toString() })),
            })),
          };
    const json = ex.map((e) => ({ src: e.src.id, dst: e.dst.id, srcPods: e.srcPod, dstPods: e.dstPod, conn: e.allowed.toString(), egress: dir(e.egress), ingress: dir(e.ingress) }));
    return `${JSON.stringify(json, null, 2)}\n`;
  }
  return `${ex.map(formatPairExplanation).join('\n\n')}\n`;
}

function liveError(err: unknown): never {
  const e = err as { body?: unknown; code?: unknown; message?: string };
  const detail = typeof e.code === 'number' ? `HTTP ${e.code}: ${typeof e.body === 'string' ? e.body : JSON.stringify(e.body)}` : (e.message ?? String(err));
  throw new Error(`cannot read the cluster (kubeconfig from $KUBECONFIG, ~/.kube/config or in-cluster): ${detail}`);
}

/**
 * Why the matrix is empty when the files hold no pods: peers are pods and the controllers that
 * make them, so NetworkPolicies alone connect nothing. Said on standard error, so that the
 * output stays what a script reads.
 */
function emptyNote(facts: ClusterFacts, flags: Flags): string {
  if (flags.live || flags.from !== undefined || facts.pods.length > 0 || facts.workloads.length > 0) return '';
  const policies = facts.networkPolicies.length;
  return `note: nothing to print: ${flags.dirs.join(', ')} hold${flags.dirs.length === 1 ? 's' : ''} ${policies} NetworkPolic${policies === 1 ? 'y' : 'ies'} but no Pods or workload controllers ` +
    '(Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob); peers are pods, so add the manifests of the ' +
    'workloads the policies select, or run with --live against a cluster\n';
}

/**
 * -o dot|mermaid: the segment map (src/report) of the AIWorkloads among the files or in the cluster,
 * with the exposures, overlaps and consent the operator would report (the platform peers where the
 * operator's defaults put them). Loaded on demand, like the cluster client.
 */
async function renderMap(flags: Flags, io: CliIO): Promise<void> {
  const { mapFromFiles, mapFromKubeconfig } = await import('./segment-map.js');
  const platform = defaultPlatform();
  const map = flags.live ? await mapFromKubeconfig(flags.namespace, platform).catch(liveError) : await mapFromFiles(flags.dirs, 'default', platform);
  io.stdout(flags.output === 'dot' ? (await import('../report/dot.js')).toDot(map) : (await import('../report/mermaid.js')).toMermaid(map));
  if (map.workloads.length === 0) io.stderr('note: no AIWorkload in the input: -o dot|mermaid draws the segments of AIWorkloads (-o txt lists the connections)\n');
}

/** runExplain is the `bulkhead explain` command. Exit codes: 0 ok, 2 bad input, a cluster error or a usage error. */
export async function runExplain(argv: string[], io: CliIO): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`bulkhead explain: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  try {
    if (flags.output === 'dot' || flags.output === 'mermaid') return (await renderMap(flags, io), 0);
    const facts = flags.live ? preferPods(await loadLiveFacts().catch(liveError)) : await loadManifestDirs(flags.dirs);
    io.stdout(flags.from !== undefined ? renderPair(facts, flags) : render(analyze(facts, flags.options), flags));
    io.stderr(emptyNote(facts, flags));
    return 0;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    io.stderr(`bulkhead explain: ${msg}\n`);
    return 2;
  }
}
