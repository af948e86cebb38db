// The cluster lifecycle for jest's global setup and teardown, run as a plain Node process.
//
// Why a separate process: jest loads globalSetup/globalTeardown through a CommonJS require hook,
// without the ESM resolver and moduleNameMapper the test files get, so the setup module cannot
// import src/ (relative `.js` specifiers, import.meta). global-setup.ts transpiles this file and
// src/devcluster/ with swc into a temp directory and runs it with node.
//
//   runner.js up <dir> <owner-pid>   start a cluster; prints {"dir","kubeconfig"} as JSON
//   runner.js healthy <dir>          exit 0 when the cluster in <dir> is healthy
//   runner.js down <dir>             stop it and remove its files
//   runner.js sweep <parent> <prefix> stop clusters under parent/prefix* whose owner died
import { DevCluster, sweepStaleClusters } from '../../src/devcluster/index.js';

const log = (line: string): void => void process.stderr.write(`[integration] ${line}\n`);

/** Each command takes the two positional arguments of the usage above and returns the exit code. */
const COMMANDS = new Map<string, (first: string, second: string) => Promise<number>>([
  ['up', async (dir, ownerPid) => {
    const cluster = await DevCluster.start({ dir, ownerPid: Number(ownerPid), log });
    process.stdout.write(`${JSON.stringify({ dir: cluster.dir, kubeconfig: cluster.kubeconfig })}\n`);
    return 0;
  }],
  ['healthy', async (dir) => (DevCluster.hasState(dir) && (await DevCluster.load(dir).healthy()) ? 0 : 1)],
  ['down', async (dir) => {
    if (!DevCluster.hasState(dir)) {
      // Nothing to stop is not a failure, but processes could be running without a record.
      log(`no cluster state in ${dir}; nothing stopped`);
      return 0;
    }
    await DevCluster.load(dir).stop();
    return 0;
  }],
  ['sweep', async (parent, prefix) => {
    for (const dir of await sweepStaleClusters(parent, prefix)) log(`stopped a cluster left by a killed run: ${dir}`);
    return 0;
  }],
]);

async function run(command: string | undefined, args: string[]): Promise<number> {
  const [first = '', second = ''] = args;
  const handler = command === undefined ? undefined : COMMANDS.get(command);
  if (handler === undefined) {
    log(`runner: unknown command ${command ?? '(none)'}`);
    return 2;
  }
  return handler(first, second);
}

run(process.argv[2], process.argv.slice(3)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
