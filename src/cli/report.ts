// `bulkhead report`: the segment map as one self-contained HTML page, from files or from the
// cluster. The gathering is in segment-map.ts, the map and the page in src/report.
import { defaultPlatform, type PlatformConfig } from '../compile/facts.js';
import { reportHtml } from '../report/index.js';
import { HELP, helpFlag, parseFlagTable, type CommandCompletion, type FlagTable, type Stop } from './flag-table.js';
import type { CliIO } from './main.js';
import { PLATFORM_USAGE, platformFlags } from './platform-flags.js';
import { mapFromFiles, mapFromKubeconfig } from './segment-map.js';

const USAGE = `Usage: bulkhead report (-f FILE ... | --live) [-n NAMESPACE] [platform flags] > map.html

Writes one HTML page, on standard output, that draws each AIWorkload's segments: components as
nodes, declared flows, ingress and egress as edges to their peers (address ranges, namespaces and
pods, DNS, the API server, Monitoring, components of other AIWorkloads), and highlighted: every
exposure (a red edge from the peer that can connect without a declaration, as bulkhead exposure
lists them), every overlap (segments that share a pod) and every consent-pending peer; each
AIWorkload's conditions beside the map. The page is self-contained: no script, nothing fetched,
open it from disk or attach it to a review.

  -f FILE         AIWorkloads, and the Namespaces, Pods, workload controllers and NetworkPolicies
                  to analyse them against (a file, a directory read recursively, or - for standard
                  input; repeatable). The conditions are those the findings would set.
  --live          the cluster of the current kubeconfig (or in-cluster config), with the
                  operator's conditions from each AIWorkload's status
  -n NAMESPACE    with -f: the namespace of documents that name none (default "default");
                  with --live: only the AIWorkloads of NAMESPACE
  Pass the platform flags the operator runs with:
${PLATFORM_USAGE}
bulkhead explain -o dot|mermaid prints the same map as Graphviz DOT or a Mermaid flowchart.
Exit 0 written, 2 unreadable or invalid input, a cluster error or a usage error.
`;

interface ReportArgs {
  files: string[];
  live: boolean;
  namespace?: string;
  platform: PlatformConfig;
}

const TABLE: FlagTable<ReportArgs> = {
  flags: [
    helpFlag,
    { names: ['-f', '--filename'], valueKind: 'file', set: (a, v) => void a.files.push(v) },
    { names: ['--live'], takesValue: false, set: (a) => void (a.live = true) },
    { names: ['-n', '--namespace'], set: (a, v) => void (a.namespace = v) },
    ...platformFlags<ReportArgs>(),
  ],
  // A value may be '-' (standard input); any other word that starts with '-' is a forgotten value.
  isValue: (arg) => arg === '-' || !arg.startsWith('-'),
  other: (arg) => `unknown argument "${arg}"`,
};

/** For `bulkhead completion`. */
export const REPORT_COMPLETION: CommandCompletion = { flags: TABLE.flags };

function parse(argv: string[]): ReportArgs | Stop {
  const args = parseFlagTable<ReportArgs, Stop>(argv, TABLE, { files: [], live: false, platform: defaultPlatform() });
  if (typeof args !== 'object') return args;
  if (args.live === (args.files.length > 0)) return 'give either -f FILE or --live';
  return args;
}

function liveError(err: unknown): never {
  throw new Error(`cannot read the cluster (kubeconfig from $KUBECONFIG, ~/.kube/config or in-cluster): ${err instanceof Error ? err.message : String(err)}`);
}

/** runReport is the `bulkhead report` command. */
export async function runReport(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  if (args === HELP) return (io.stdout(USAGE), 0);
  if (typeof args === 'string') return (io.stderr(`bulkhead report: ${args}\n\n${USAGE}`), 2);
  try {
    const map = args.live ? await mapFromKubeconfig(args.namespace, args.platform).catch(liveError) : await mapFromFiles(args.files, args.namespace ?? 'default', args.platform);
    io.stdout(await reportHtml(map));
    return 0;
  } catch (err) {
    io.stderr(`bulkhead report: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}
