// `bulkhead run`: the controller. In-cluster config when running in a pod, else $KUBECONFIG.
import { KubeConfig } from '@kubernetes/client-node';
import { defaultPlatform, type PlatformConfig } from '../compile/facts.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LeaderElector, kubeLeaseStore } from '../controller/leader-election.js';
import { Manager } from '../controller/manager.js';
import { createLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { HELP, helpFlag, parseFlagTable, unknownPairFlag, type Flag, type FlagTable, type Stop } from './flag-table.js';
import type { CliIO } from './main.js';
import { PLATFORM_USAGE, platformFlags } from './platform-flags.js';

const USAGE = `Usage: bulkhead run [flags]
  --metrics-bind-address HOST:PORT  /metrics, /healthz, /readyz (default 0.0.0.0:8080; "0" disables)
  --workers N                       concurrent reconciles (default 2)
  --resync DURATION_SECONDS         periodic resync of every AIWorkload (default 600)
${PLATFORM_USAGE}  --leader-elect true|false         elect a leader on a Lease; only the leader writes (default false)
  --leader-election-namespace NS    namespace of the Lease (default $POD_NAMESPACE, else bulkhead-system)
  --leader-election-id NAME         name of the Lease (default bulkhead-operator)
  --lease-duration SECONDS          (default 15)   --renew-deadline SECONDS (default 10)   --retry-period SECONDS (default 2)
  --identity NAME                   this replica's identity (default $POD_NAME, else host name and a random suffix)
Environment: KUBECONFIG, BULKHEAD_LOG_LEVEL (error|warn|info|debug).
`;

interface RunArgs {
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  bind: string;
  workers: number;
  resyncSeconds: number;
  platform: PlatformConfig;
}

function defaults(): RunArgs {
  return {
    leaderElect: false,
    leaseNamespace: process.env['POD_NAMESPACE'] ?? 'bulkhead-system',
    leaseName: 'bulkhead-operator',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    identity: process.env['POD_NAME'] ?? `${hostname()}-${randomUUID().slice(0, 8)}`,
    bind: '0.0.0.0:8080',
    workers: 2,
    resyncSeconds: 600,
    platform: defaultPlatform(),
  };
}

/** The Lease timings: seconds on the command line, milliseconds in RunArgs. */
function seconds(key: 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'): Flag<RunArgs>['set'] {
  return (args, value, flag) => {
    const ms = Number(value) * 1000;
    if (!(ms > 0)) return `${flag} must be a positive number of seconds`;
    args[key] = ms;
    return undefined;
  };
}

const FLAGS: FlagTable<RunArgs> = {
  flags: [
    helpFlag,
    { names: ['--metrics-bind-address'], set: (args, value) => { args.bind = value; } },
    {
      names: ['--workers'],
      set: (args, value) => {
        args.workers = Number(value);
        if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 64) return '--workers must be an integer from 1 to 64';
        return undefined;
      },
    },
    {
      names: ['--resync'],
      set: (args, value) => {
        args.resyncSeconds = Number(value);
        if (!(args.resyncSeconds > 0)) return '--resync must be a positive number of seconds';
        return undefined;
      },
    },
    {
      names: ['--leader-elect'],
      set: (args, value) => {
        if (value !== 'true' && value !== 'false') return '--leader-elect must be true or false';
        args.leaderElect = value === 'true';
        return undefined;
      },
    },
    { names: ['--leader-election-namespace'], set: (args, value) => { args.leaseNamespace = value; } },
    { names: ['--leader-election-id'], set: (args, value) => { args.leaseName = value; } },
    { names: ['--identity'], set: (args, value) => { args.identity = value; } },
    { names: ['--lease-duration'], set: seconds('leaseDurationMs') },
    { names: ['--renew-deadline'], set: seconds('renewDeadlineMs') },
    { names: ['--retry-period'], set: seconds('retryPeriodMs') },
    ...platformFlags<RunArgs>(),
  ],
  other: unknownPairFlag,
};

function parse(argv: string[]): RunArgs | Stop {
  const args = parseFlagTable(argv, FLAGS, defaults());
  if (typeof args !== 'object') return args;
  if (args.leaderElect && !(args.leaseDurationMs > args.renewDeadlineMs && args.renewDeadlineMs > args.retryPeriodMs)) {
    return 'leader election needs --lease-duration > --renew-deadline > --retry-period';
  }
  return args;
}

/** usage prints a usage error (exit 2) or the help (exit 0), both on standard error. */
function usage(stop: Stop, io: CliIO): number {
  if (stop !== HELP) io.stderr(`bulkhead run: ${stop}\n`);
  io.stderr(USAGE);
  return stop === HELP ? 0 : 2;
}

/** `host:port` of the health server; "0" disables it. */
function healthAddress(bind: string): { host: string; port: number } | undefined {
  if (bind === '0') return undefined;
  const i = bind.lastIndexOf(':');
  return { host: bind.slice(0, i) || '0.0.0.0', port: Number(bind.slice(i + 1)) };
}

export async function runController(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  if (typeof args !== 'object') return usage(args, io);
  const logger = createLogger();
  const metrics = createMetrics({ defaultMetrics: true });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const health = healthAddress(args.bind);
  const elector = args.leaderElect
    ? new LeaderElector({
        store: kubeLeaseStore(kc, args.leaseNamespace, args.leaseName),
        identity: args.identity,
        leaseDurationMs: args.leaseDurationMs,
        renewDeadlineMs: args.renewDeadlineMs,
        retryPeriodMs: args.retryPeriodMs,
        logger,
        callbacks: {
          onStartedLeading: () => {
            metrics.leader.set(1);
            logger.info('leading: starting workers');
            manager.startWorkers();
          },
          onStoppedLeading: () => {
            // Stop writing at once (the writer checks isLeader too), then exit: a fresh process
            // starts from clean caches and campaigns again.
            metrics.leader.set(0);
            manager.stopWorkers();
            if (!shuttingDown) {
              logger.error('lost leadership; exiting');
              lost = true;
              resolveDone();
            }
          },
          onNewLeader: (id) => logger.info('leader observed', { leader: id }),
        },
      })
    : undefined;
  const manager = new Manager({
    kubeConfig: kc,
    logger,
    metrics,
    platform: args.platform,
    workers: args.workers,
    resyncMs: args.resyncSeconds * 1000,
    identity: args.identity,
    ...(health !== undefined ? { health } : {}),
    ...(elector !== undefined ? { mayWrite: () => elector.isLeader(), election: { isLeader: () => elector.isLeader(), hasObservedLease: () => elector.hasObservedLease() } } : {}),
  });
  logger.info('starting bulkhead', { server: kc.getCurrentCluster()?.server, identity: args.identity, leaderElect: args.leaderElect });

  let shuttingDown = false;
  let lost = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const onSignal = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info('shutting down', { signal });
    resolveDone();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  const election = new AbortController();
  await manager.startCaches();
  const electing = elector?.run(election.signal);
  if (elector === undefined) {
    // A single replica without election acts as the leader.
    metrics.leader.set(1);
    manager.startWorkers();
  }
  await done;
  // Drain in-flight reconciles while still leader, then release the Lease so a successor takes
  // over at once, then stop watches and the health server.
  await manager.stop();
  election.abort();
  await electing;
  logger.info('stopped');
  return lost ? 1 : 0;
}
