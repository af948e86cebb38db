// The bulkhead command. Each subcommand lives in its own module and is loaded on demand so that
// `bulkhead render` never pulls in the Kubernetes client.
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

type Command = (argv: string[], io: CliIO) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'run the controller (in-cluster config or $KUBECONFIG)', load: async () => (await import('./run.js')).runController },
  render: { summary: 'render -f FILE: print every object an AIWorkload generates, offline', load: async () => (await import('./render.js')).runRender },
  diff: { summary: 'diff -f FILE: what applying an AIWorkload would change (server-side dry run)', load: async () => (await import('./diff.js')).runDiff },
  explain: { summary: 'explain -d DIR | --live: who can reach whom under the NetworkPolicies', load: async () => (await import('./explain.js')).runExplain },
  check: { summary: 'check the installation: CRD, admission policies, ceiling, operator, CNI', load: async () => (await import('./check.js')).runCheck },
  exposure: { summary: 'exposure [-n NS]: every undeclared way into or out of a segment, with the policies responsible', load: async () => (await import('./exposure.js')).runExposure },
  crd: { summary: 'print the generated AIWorkload CustomResourceDefinition', load: async () => (await import('./crd.js')).runCrd },
  dataplane: { summary: 'up|pod|probe|down: pods as network namespaces with a real NetworkPolicy enforcer, for the local cluster', load: async () => (await import('./dataplane.js')).runDataplane },
  'local-cluster': { summary: 'up|down|env: a local etcd + kube-apiserver + kube-controller-manager for development', load: async () => (await import('./local-cluster.js')).runLocalCluster },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: bulkhead <command> [flags]\n\nCommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr(`bulkhead: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const run = await command.load();
  return run(rest, io);
}
