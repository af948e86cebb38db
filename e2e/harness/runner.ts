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

async function run(command: string | undefined, args: string[]): Promise<number> {
  const [first = '', second = ''] = args;
  switch (command) {
    case 'up': {
      const cluster = await DevCluster.start({ dir: first, ownerPid: Number(second), log });
      process.stdout.write(`${JSON.stringify({ dir: cluster.dir, kubeconfig: cluster.kubeconfig })}\n`);
      return 0;
    }
    case 'healthy':
      return DevCluster.hasState(first) && (await DevCluster.load(first).healthy()) ? 0 : 1;
    case 'down':
      if (!DevCluster.hasState(first)) {
        // Nothing to stop is not a failure, but processes could be running without a record.
        log(`no cluster state in ${first}; nothing stopped`);
        return 0;
      }
      await DevCluster.load(first).stop();
      return 0;
    case 'sweep':
      for (const dir of await sweepStaleClusters(first, second)) log(`stopped a cluster left by a killed run: ${dir}`);
      return 0;
    default:
      log(`runner: unknown command ${command ?? '(none)'}`);
      return 2;
  }
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
