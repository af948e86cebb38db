// `bulkhead local-cluster up|down|env|status --dir D`: a real etcd + kube-apiserver +
// kube-controller-manager on loopback for development. The processes are detached and outlive this
// command; D/cluster.json records them and D/kubeconfig is the admin kubeconfig.
import path from 'node:path';
import { DevCluster } from '../devcluster/index.js';
import { parseFlagTable, type CommandCompletion, type FlagTable } from './flag-table.js';
import type { CliIO } from './main.js';

const USAGE = `Usage: bulkhead local-cluster <up|down|env|status> [--dir DIR]

  up      start the cluster detached (no-op when it is already running and healthy)
  down    stop it and remove its files
  env     print "export KUBECONFIG=DIR/kubeconfig"
  status  print the processes, their memory and whether the API server is ready

  --dir DIR   state directory (default .local)

  Exit 0 done, 1 status found no cluster or one that is not ready, 2 a usage error or a failure.
`;

export async function runLocalCluster(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    io.stderr(`bulkhead local-cluster: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const { action, dir } = parsed;
  try {
    switch (action) {
      case 'up':
        return await up(dir, io);
      case 'down':
        return await down(dir, io);
      case 'env':
        return env(dir, io);
      case 'status':
        return await status(dir, io);
      case 'help':
        io.stdout(USAGE);
        return 0;
    }
  } catch (err) {
    io.stderr(`bulkhead local-cluster ${action}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

type Action = 'up' | 'down' | 'env' | 'status' | 'help';

const ACTIONS: readonly string[] = ['up', 'down', 'env', 'status'];

interface LocalClusterArgs {
  action?: Action;
  dir: string;
}

const FLAGS: FlagTable<LocalClusterArgs, string> = {
  flags: [
    { names: ['--dir'], valueKind: 'directory', set: (args, value) => { args.dir = value; } },
    // Unlike the other commands' help, this one is an action and parsing goes on: `up --help` is
    // help, and `help up` names two actions.
    { names: ['-h', '--help'], takesValue: false, set: (args) => { args.action = 'help'; } },
  ],
  isValue: (arg) => arg !== '',
  other: (arg, args) => {
    if (arg === 'help') args.action = 'help';
    else if (args.action === undefined && ACTIONS.includes(arg)) args.action = arg as Action;
    else return `unexpected argument "${arg}"`;
    return undefined;
  },
};

/** For `bulkhead completion`. */
export const LOCAL_CLUSTER_COMPLETION: CommandCompletion = { flags: FLAGS.flags, actions: ACTIONS };

/** parseArgs returns the action and absolute state directory, or a usage error. */
export function parseArgs(argv: readonly string[]): { action: Action; dir: string } | string {
  const args = parseFlagTable(argv, FLAGS, { dir: '.local' });
  if (typeof args === 'string') return args;
  if (args.action === undefined) return 'missing action';
  return { action: args.action, dir: path.resolve(args.dir) };
}

async function up(dir: string, io: CliIO): Promise<number> {
  if (DevCluster.hasState(dir)) {
    const existing = DevCluster.load(dir);
    if (await existing.healthy()) {
      io.stdout(`local cluster already running at ${existing.server}\nexport KUBECONFIG=${existing.kubeconfig}\n`);
      return 0;
    }
    io.stderr(`[local-cluster] ${dir} holds a cluster that is not healthy; stopping what is left of it\n`);
    await existing.stop();
  }
  const cluster = await DevCluster.start({ dir, log: (line) => io.stderr(`[local-cluster] ${line}\n`) });
  const state = cluster.state();
  io.stdout(`local cluster ready at ${state.server} (logs in ${path.dirname(state.logs.apiServer)})\nexport KUBECONFIG=${state.kubeconfig}\n`);
  return 0;
}

async function down(dir: string, io: CliIO): Promise<number> {
  if (!DevCluster.hasState(dir)) {
    io.stdout(`no local cluster in ${dir}\n`);
    return 0;
  }
  await DevCluster.load(dir).stop();
  io.stdout(`local cluster in ${dir} stopped\n`);
  return 0;
}

function env(dir: string, io: CliIO): number {
  if (!DevCluster.hasState(dir)) {
    io.stderr(`no local cluster in ${dir}; run: bulkhead local-cluster up --dir ${dir}\n`);
    return 2;
  }
  io.stdout(`export KUBECONFIG=${DevCluster.load(dir).kubeconfig}\n`);
  return 0;
}

async function status(dir: string, io: CliIO): Promise<number> {
  if (!DevCluster.hasState(dir)) {
    io.stdout(`no local cluster in ${dir}\n`);
    return 1;
  }
  const cluster = DevCluster.load(dir);
  const state = cluster.state();
  const healthy = await cluster.healthy();
  io.stdout(`server ${state.server} ${healthy ? 'ready' : 'NOT READY'}; ready ${((state.readyAfterMs ?? 0) / 1000).toFixed(1)}s after start at ${state.startedAt}\n`);
  for (const p of cluster.processes()) {
    const rss = p.rssBytes === undefined ? '-' : `${(p.rssBytes / 2 ** 20).toFixed(0)} MiB`;
    io.stdout(`  ${p.component.padEnd(18)} pid ${String(p.pid ?? '-').padEnd(8)} ${p.running ? 'running' : 'stopped'}  rss ${rss.padEnd(8)} log ${p.log}\n`);
  }
  return healthy ? 0 : 1;
}
