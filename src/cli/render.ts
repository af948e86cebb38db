// `bulkhead render -f FILE`: everything an AIWorkload generates, offline and deterministic, for GitOps
// review and CI diffs. AIWorkloads in the same file resolve each other as workload peers.
import { isIP } from 'node:net';
import { compile } from '../compile/compile.js';
import type { GeneratedObject } from '../compile/objects.js';
import { toYamlStream } from '../compile/render.js';
import { HELP, type CommandCompletion, type Flag } from './flag-table.js';
import type { CliIO } from './main.js';
import { PLATFORM_USAGE } from './platform-flags.js';
import { loadWorkloadFiles, parseWorkloadFileArgs, workloadFileFlags, type LoadedWorkload, type WorkloadFileArgs } from './workload-files.js';

const USAGE = `Usage: bulkhead render -f FILE [-f FILE...] [-n NAMESPACE] [platform flags] [--api-server IP[,IP...]]
  FILE may be - for standard input. Pass the platform flags the operator runs with, so that the
  output is what it writes:
${PLATFORM_USAGE}  --api-server IP[,IP...]           the API server's endpoint addresses, for {platform: KubeAPIServer}
                                    (kubectl get endpointslice -n default -l kubernetes.io/service-name=kubernetes);
                                    without it such rules are left out, as the operator does when it cannot resolve them
  --api-server-ports PORT[,PORT]    their ports (default 443,6443)
  Exit 0 rendered, 2 invalid input (each problem named on standard error) or a usage error.
`;

const DEFAULT_API_SERVER_PORTS = [443, 6443];

/** render alone cannot read the default/kubernetes EndpointSlice, so it takes the addresses as flags. */
const API_SERVER_FLAGS: Flag<WorkloadFileArgs>[] = [
  {
    names: ['--api-server'],
    set: (args, value, flag) => {
      const addresses = value.split(',');
      const bad = addresses.find((a) => isIP(a) === 0);
      if (bad !== undefined) return `${flag} takes IP addresses separated by commas, not "${bad}"`;
      args.kubeAPIServer = { addresses, ports: args.kubeAPIServer?.ports ?? DEFAULT_API_SERVER_PORTS };
      return undefined;
    },
  },
  {
    names: ['--api-server-ports'],
    set: (args, value, flag) => {
      const ports = value.split(',').map(Number);
      if (!ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)) return `${flag} takes port numbers (1-65535) separated by commas, not "${value}"`;
      args.kubeAPIServer = { addresses: args.kubeAPIServer?.addresses ?? [], ports };
      return undefined;
    },
  },
];

/** For `bulkhead completion`. */
export const RENDER_COMPLETION: CommandCompletion = { flags: workloadFileFlags(API_SERVER_FLAGS) };

export async function runRender(argv: string[], io: CliIO): Promise<number> {
  const args = parseWorkloadFileArgs(argv, (arg) => `unknown flag ${arg}`, API_SERVER_FLAGS);
  if (args === HELP) return (io.stdout(USAGE), 0);
  if (typeof args !== 'object') return (io.stderr(`bulkhead render: ${args}\n${USAGE}`), 2);
  const { workloads, errors } = await loadWorkloadFiles(args.files, args.namespace);
  for (const e of errors) io.stderr(`bulkhead render: ${e}\n`);
  if (errors.length > 0) return 2;
  io.stdout(toYamlStream(compileAll(workloads, args, io)));
  return 0;
}

/** Compiles every workload against the others and the flags, noting on stderr each rule left out. */
function compileAll(workloads: readonly LoadedWorkload[], args: WorkloadFileArgs, io: CliIO): GeneratedObject[] {
  // Ports alone (--api-server-ports without --api-server) resolve nothing.
  const api = args.kubeAPIServer !== undefined && args.kubeAPIServer.addresses.length > 0 ? args.kubeAPIServer : undefined;
  const facts = { platform: args.platform, workloads: new Map(workloads.map((w) => [`${w.namespace}/${w.name}`, w])), kubeAPIServer: api };
  const objects: GeneratedObject[] = [];
  for (const w of workloads) {
    const result = compile(w, facts);
    objects.push(...result.objects);
    for (const c of result.components) {
      for (const p of [...c.unresolvedPeers, ...c.consentPending]) {
        io.stderr(`note: ${w.namespace}/${w.name} component ${c.name}: no rule for ${p.peer}: ${p.message}\n`);
      }
    }
  }
  return objects;
}
