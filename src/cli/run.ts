// `bulkhead run`: the controller. In-cluster config when running in a pod, else $KUBECONFIG.
import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_PLATFORM, type PlatformConfig } from '../compile/facts.js';
import { Manager } from '../controller/manager.js';
import { createLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import type { CliIO } from './main.js';

const USAGE = `Usage: bulkhead run [flags]
  --metrics-bind-address HOST:PORT  /metrics, /healthz, /readyz (default 0.0.0.0:8080; "0" disables)
  --workers N                       concurrent reconciles (default 2)
  --resync DURATION_SECONDS         periodic resync of every AIWorkload (default 600)
  --dns-namespace NS                namespace of the cluster DNS (default kube-system)
  --monitoring-namespace NS         namespace of the Prometheus that scrapes segments (default monitoring)
Environment: KUBECONFIG, BULKHEAD_LOG_LEVEL (error|warn|info|debug).
`;

interface RunArgs {
  bind: string;
  workers: number;
  resyncSeconds: number;
  platform: PlatformConfig;
}

function parse(argv: string[]): RunArgs | string {
  const args: RunArgs = { bind: '0.0.0.0:8080', workers: 2, resyncSeconds: 600, platform: structuredClone(DEFAULT_PLATFORM) };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '-h' || flag === '--help') return '';
    if (value === undefined) return `${String(flag)} needs a value`;
    switch (flag) {
      case '--metrics-bind-address':
        args.bind = value;
        break;
      case '--workers':
        args.workers = Number(value);
        if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 64) return '--workers must be an integer from 1 to 64';
        break;
      case '--resync':
        args.resyncSeconds = Number(value);
        if (!(args.resyncSeconds > 0)) return '--resync must be a positive number of seconds';
        break;
      case '--dns-namespace':
        args.platform.dns.namespace = value;
        break;
      case '--monitoring-namespace':
        args.platform.monitoring.namespace = value;
        break;
      default:
        return `unknown flag ${String(flag)}`;
    }
  }
  return args;
}

export async function runController(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  if (typeof args === 'string') {
    if (args !== '') io.stderr(`bulkhead run: ${args}\n`);
    io.stderr(USAGE);
    return args === '' ? 0 : 2;
  }
  const logger = createLogger();
  const metrics = createMetrics({ defaultMetrics: true });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  let health: { host: string; port: number } | undefined;
  if (args.bind !== '0') {
    const i = args.bind.lastIndexOf(':');
    health = { host: args.bind.slice(0, i) || '0.0.0.0', port: Number(args.bind.slice(i + 1)) };
  }
  const manager = new Manager({ kubeConfig: kc, logger, metrics, platform: args.platform, workers: args.workers, resyncMs: args.resyncSeconds * 1000, ...(health !== undefined ? { health } : {}) });
  logger.info('starting bulkhead', { server: kc.getCurrentCluster()?.server, identity: manager.identity });

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down: draining reconciles', { signal });
      await manager.stop();
      logger.info('stopped');
    })();
    return stopping;
  };
  const done = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => void stop('SIGTERM').then(resolve));
    process.once('SIGINT', () => void stop('SIGINT').then(resolve));
  });
  await manager.startCaches();
  manager.startWorkers();
  await done;
  return 0;
}
