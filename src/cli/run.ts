// `bulkhead run`: the controller. In-cluster config when running in a pod, else $KUBECONFIG.
import { KubeConfig } from '../runtime/kubeconfig.js';
import { defaultPlatform, type PlatformConfig } from '../compile/facts.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LeaderElector, kubeLeaseStore } from '../runtime/leader-election.js';
import { startHeapReduction } from '../runtime/heap.js';
import { DEFAULT_API_RATE, Manager, type ManagerOptions } from '../controller/manager.js';
import { DEFAULT_KEEP_METADATA } from '../controller/write-plan.js';
import { type Logger, createLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { HELP, helpFlag, parseFlagTable, unknownPairFlag, type CommandCompletion, type Flag, type FlagTable, type Stop } from './flag-table.js';
import type { CliIO } from './main.js';
import { PLATFORM_USAGE, platformFlags } from './platform-flags.js';

const USAGE = `Usage: bulkhead run [flags]
  --metrics-bind-address HOST:PORT  /metrics, and /healthz and /readyz unless the next flag is set (default 0.0.0.0:8080; "0" disables)
  --health-probe-bind-address HOST:PORT  /healthz and /readyz on a listener of their own (default: on the metrics listener)
  --cache-sync-timeout SECONDS      exit 1 when the informer caches have not synced by then (default 120)
  --workers N                       concurrent reconciles (default 2)
  --resync DURATION_SECONDS         periodic resync of every AIWorkload (default 600)
  --kube-api-qps N                  client-side limit on API requests per second, 0 for none (default 200)
  --kube-api-burst N                requests allowed at once after a quiet spell (default 400)
${PLATFORM_USAGE}  --leader-elect true|false         elect a leader on a Lease; only the leader writes (default false)
  --leader-election-namespace NS    namespace of the Lease (default $POD_NAMESPACE, else bulkhead-system)
  --leader-election-id NAME         name of the Lease (default bulkhead-operator)
  --lease-duration SECONDS          (default 15)   --renew-deadline SECONDS (default 10)   --retry-period SECONDS (default 2)
  --identity NAME                   this replica's identity (default $POD_NAME, else host name and a random suffix)
  --keep-metadata KEY,...           label and annotation keys left on generated objects when others add them
                                    (a trailing * matches a prefix); every other undeclared key is removed as
                                    drift (default: kubectl.kubernetes.io/last-applied-configuration)
  --watch-namespaces NS,...         watch and write only these namespaces (default: all); the operator
                                    then needs a Role in each, not cluster-wide rights on what it writes
  --threatfeed-hosts HOST[:PORT],...  hosts HTTPS ThreatFeeds may be fetched from (default: none; a feed
                                    of any other host fails with FetchHostNotAllowed)
Environment: KUBECONFIG, BULKHEAD_LOG_LEVEL (error|warn|info|debug), POD_NAMESPACE (the operator's
namespace, where it keeps the identity registry and the threat feed caches; default bulkhead-system).
Exits 1 at once when it cannot start (a port in use, the CRD not installed, a list it may not make)
or when it loses leadership, so that Kubernetes restarts it; 0 when stopped by SIGTERM or SIGINT;
2 on a usage error.
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
  probeBind: string | undefined;
  cacheSyncTimeoutMs: number;
  workers: number;
  resyncSeconds: number;
  apiQps: number;
  apiBurst: number;
  platform: PlatformConfig;
  keepMetadata: string[];
  threatFeedHosts: string[];
  watchNamespaces: string[] | undefined;
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
    probeBind: undefined,
    cacheSyncTimeoutMs: 120_000,
    workers: 2,
    resyncSeconds: 600,
    apiQps: DEFAULT_API_RATE.qps,
    apiBurst: DEFAULT_API_RATE.burst,
    platform: defaultPlatform(),
    keepMetadata: [...DEFAULT_KEEP_METADATA],
    threatFeedHosts: [],
    watchNamespaces: undefined,
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

/** A listen address flag: "0" (off) or HOST:PORT, HOST possibly empty (every interface). */
function address(key: 'bind' | 'probeBind'): Flag<RunArgs>['set'] {
  return (args, value, flag) => {
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    if (value !== '0' && !(value.includes(':') && Number.isInteger(port) && port >= 0 && port <= 65_535)) return `${flag} must be HOST:PORT or "0"`;
    args[key] = value;
    return undefined;
  };
}

const FLAGS: FlagTable<RunArgs> = {
  flags: [
    helpFlag,
    { names: ['--metrics-bind-address'], set: address('bind') },
    { names: ['--health-probe-bind-address'], set: address('probeBind') },
    {
      names: ['--cache-sync-timeout'],
      set: (args, value) => {
        args.cacheSyncTimeoutMs = Number(value) * 1000;
        if (!(args.cacheSyncTimeoutMs > 0)) return '--cache-sync-timeout must be a positive number of seconds';
        return undefined;
      },
    },
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
      names: ['--kube-api-qps'],
      set: (args, value) => {
        args.apiQps = Number(value);
        if (!(args.apiQps >= 0) || value.trim() === '') return '--kube-api-qps must be a number of requests per second, 0 or more';
        return undefined;
      },
    },
    {
      names: ['--kube-api-burst'],
      set: (args, value) => {
        args.apiBurst = Number(value);
        if (!Number.isInteger(args.apiBurst) || args.apiBurst < 1) return '--kube-api-burst must be a whole number of requests, 1 or more';
        return undefined;
      },
    },
    {
      names: ['--leader-elect'],
      values: ['true', 'false'],
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
    { names: ['--keep-metadata'], set: (args, value) => { args.keepMetadata = [...DEFAULT_KEEP_METADATA, ...value.split(',').filter((k) => k !== '')]; } },
    {
      names: ['--watch-namespaces'],
      set: (args, value) => {
        const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
        const bad = names.find((n) => !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
        if (names.length === 0) return '--watch-namespaces needs at least one namespace';
        if (bad !== undefined) return `--watch-namespaces: ${JSON.stringify(bad)} is not a namespace name`;
        args.watchNamespaces = [...new Set(names)];
        return undefined;
      },
    },
    {
      names: ['--threatfeed-hosts'],
      set: (args, value) => {
        args.threatFeedHosts = value.split(',').map((h) => h.trim()).filter((h) => h !== '');
        const bad = args.threatFeedHosts.find((h) => !/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$/.test(h));
        return bad === undefined ? undefined : `--threatfeed-hosts: ${JSON.stringify(bad)} is not a host name or IPv4 address with an optional :port`;
      },
    },
  ],
  other: unknownPairFlag,
};

/** For `bulkhead completion`. */
export const RUN_COMPLETION: CommandCompletion = { flags: FLAGS.flags };

function parse(argv: string[]): RunArgs | Stop {
  const args = parseFlagTable(argv, FLAGS, defaults());
  if (typeof args !== 'object') return args;
  if (args.leaderElect && !(args.leaseDurationMs > args.renewDeadlineMs && args.renewDeadlineMs > args.retryPeriodMs)) {
    return 'leader election needs --lease-duration > --renew-deadline > --retry-period';
  }
  return args;
}

/** usage prints the help on standard output (exit 0), or a usage error on standard error (exit 2). */
function usage(stop: Stop, io: CliIO): number {
  if (stop === HELP) return (io.stdout(USAGE), 0);
  io.stderr(`bulkhead run: ${stop}\n${USAGE}`);
  return 2;
}

/** `host:port` of a listener; "0" disables it. */
function healthAddress(bind: string | undefined): { host: string; port: number } | undefined {
  if (bind === undefined || bind === '0') return undefined;
  const i = bind.lastIndexOf(':');
  return { host: bind.slice(0, i) || '0.0.0.0', port: Number(bind.slice(i + 1)) };
}


/** The manager's listeners and start-up deadline, from the flags. */
function listeners(args: RunArgs): Pick<ManagerOptions, 'health' | 'probes' | 'cacheSyncTimeoutMs'> {
  const health = healthAddress(args.bind);
  const probes = healthAddress(args.probeBind);
  return { cacheSyncTimeoutMs: args.cacheSyncTimeoutMs, ...(health !== undefined ? { health } : {}), ...(probes !== undefined ? { probes } : {}) };
}

/**
 * start opens the listeners and syncs the caches. Start or stop, never hang: when either fails,
 * whatever was opened is closed, the reason goes to standard error, and it returns false.
 */
async function start(manager: Manager, logger: Logger, io: CliIO): Promise<boolean> {
  try {
    await manager.startServing();
    await manager.startCaches();
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.error('cannot start; exiting', { error: message });
    io.stderr(`bulkhead run: ${message}\n`);
    await manager.stop();
    return false;
  }
}

/** What the start line says the operator watches. */
const watchScope = (namespaces: readonly string[] | undefined): string => (namespaces === undefined ? 'all' : namespaces.join(','));

export async function runController(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  if (typeof args !== 'object') return usage(args, io);
  const logger = createLogger();
  const metrics = createMetrics({ defaultMetrics: true });
  const kc = new KubeConfig();
  kc.loadFromDefault();
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
    apiRate: { qps: args.apiQps, burst: args.apiBurst },
    keepMetadata: args.keepMetadata,
    threatFeedHosts: args.threatFeedHosts,
    watchNamespaces: args.watchNamespaces,
    identity: args.identity,
    // The namespace the operator runs in, where bulkhead-identity-bindings reads its registry.
    identityRegistryNamespace: process.env['POD_NAMESPACE'] ?? 'bulkhead-system',
    ...listeners(args),
    ...(elector !== undefined ? { mayWrite: () => elector.isLeader(), election: { isLeader: () => elector.isLeader(), hasObservedLease: () => elector.hasObservedLease() } } : {}),
  });
  logger.info('starting bulkhead', { server: kc.getCurrentCluster()?.server, identity: args.identity, leaderElect: args.leaderElect, watchNamespaces: watchScope(args.watchNamespaces) });

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
  if (!(await start(manager, logger, io))) return 1;
  // The initial lists' garbage is collected, but V8 keeps its pages: give them back (heap.ts).
  const heap = startHeapReduction(logger);
  const electing = elector?.run(election.signal);
  if (elector === undefined) {
    // A single replica without election acts as the leader.
    metrics.leader.set(1);
    manager.startWorkers();
  }
  await done;
  heap.stop();
  // Drain in-flight reconciles while still leader, then release the Lease so a successor takes
  // over at once, then stop watches and the health server.
  await manager.stop();
  election.abort();
  await electing;
  logger.info('stopped');
  return lost ? 1 : 0;
}
