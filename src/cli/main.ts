// The bulkhead command. Each subcommand lives in its own module and is loaded on demand so that
// `bulkhead render` never pulls in the Kubernetes client. The table below is the one list of
// commands: the usage, `help COMMAND` and `bulkhead completion` read it.
import { readFile } from 'node:fs/promises';
import type { CommandCompletion } from './flag-table.js';

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

type Command = (argv: string[], io: CliIO) => Promise<number>;

/**
 * One subcommand. `load` gives the function that runs it; `completion` gives the flags (and
 * actions) it parses, from the same table its parser reads, for `bulkhead completion`.
 */
export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
  completion?: () => Promise<CommandCompletion>;
}

export const commands: Record<string, CommandEntry> = {
  run: {
    summary: 'run the controller (in-cluster config or $KUBECONFIG)',
    load: async () => (await import('./run.js')).runController,
    completion: async () => (await import('./run.js')).RUN_COMPLETION,
  },
  render: {
    summary: 'render -f FILE: print every object an AIWorkload generates, offline',
    load: async () => (await import('./render.js')).runRender,
    completion: async () => (await import('./render.js')).RENDER_COMPLETION,
  },
  diff: {
    summary: 'diff -f FILE: what applying an AIWorkload would change (server-side dry run)',
    load: async () => (await import('./diff.js')).runDiff,
    completion: async () => (await import('./diff.js')).DIFF_COMPLETION,
  },
  explain: {
    summary: 'explain -d DIR | --live: who can reach whom under the NetworkPolicies',
    load: async () => (await import('./explain.js')).runExplain,
    completion: async () => (await import('./explain.js')).EXPLAIN_COMPLETION,
  },
  report: {
    summary: 'report -f FILE | --live: the segment map as one self-contained HTML page, exposures highlighted',
    load: async () => (await import('./report.js')).runReport,
    completion: async () => (await import('./report.js')).REPORT_COMPLETION,
  },
  check: {
    summary: 'check the installation: CRD, admission policies, ceiling, operator, CNI',
    load: async () => (await import('./check.js')).runCheck,
    completion: async () => (await import('./check.js')).CHECK_COMPLETION,
  },
  exposure: {
    summary: 'exposure [-n NS]: every undeclared way into or out of a segment, with the policies responsible',
    load: async () => (await import('./exposure.js')).runExposure,
    completion: async () => (await import('./exposure.js')).EXPOSURE_COMPLETION,
  },
  crd: {
    summary: 'print the generated AIWorkload CustomResourceDefinition',
    load: async () => (await import('./crd.js')).runCrd,
    completion: async () => (await import('./crd.js')).CRD_COMPLETION,
  },
  dataplane: {
    summary: 'up|pod|probe|down: pods as network namespaces with a real NetworkPolicy enforcer, for the local cluster',
    load: async () => (await import('./dataplane.js')).runDataplane,
    completion: async () => (await import('./dataplane.js')).DATAPLANE_COMPLETION,
  },
  'local-cluster': {
    summary: 'up|down|env: a local etcd + kube-apiserver + kube-controller-manager for development',
    load: async () => (await import('./local-cluster.js')).runLocalCluster,
    completion: async () => (await import('./local-cluster.js')).LOCAL_CLUSTER_COMPLETION,
  },
  completion: {
    summary: 'bash|zsh|fish: print a shell completion script (source <(bulkhead completion bash))',
    load: async () => (await import('./completion.js')).runCompletion,
    completion: async () => (await import('./completion.js')).COMPLETION_COMPLETION,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return (
    `Usage: bulkhead <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\n` +
    'bulkhead COMMAND --help (or bulkhead help COMMAND) shows its flags; bulkhead --version the version.\n' +
    'Exit codes: 0 ok, 1 findings or changes (check, diff, exposure, a refused probe), 2 an error.\n'
  );
}

/** The version in package.json, which sits two levels up from both src/cli and dist/cli. */
export async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const commandOf = (name: string): CommandEntry | undefined => (Object.hasOwn(commands, name) ? commands[name] : undefined);

/** `bulkhead`, `bulkhead --help`, `bulkhead help [COMMAND]` and `bulkhead --version`; undefined for anything else. */
async function topLevel(name: string | undefined, rest: readonly string[], io: CliIO): Promise<number | undefined> {
  if (name === '--version') return (io.stdout(`bulkhead ${await version()}\n`), 0);
  if (name === 'help' && rest[0] !== undefined) {
    const command = commandOf(rest[0]);
    if (command !== undefined) return (await command.load())(['--help'], io);
  }
  if (name !== undefined && name !== '-h' && name !== '--help' && name !== 'help') return undefined;
  io.stdout(usage());
  return name === undefined ? 2 : 0;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  const handled = await topLevel(name, rest, io);
  if (handled !== undefined) return handled;
  const command = commandOf(name ?? '');
  if (command === undefined) {
    io.stderr(`bulkhead: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const run = await command.load();
  return run(rest, io);
}
