// `bulkhead dataplane`: a real NetworkPolicy dataplane for the local cluster, so segments can be
// tried on packets: pods as network namespaces, kube-network-policies as the enforcer, and probes
// that open real connections from inside a pod. Needs root. See docs/dataplane.md.
import path from 'node:path';
import { DevCluster } from '../devcluster/index.js';
import { Dataplane, findEnforcer, sweepSlots, type HostRecord, type PodPort, type Protocol } from '../dataplane/index.js';
import { parseFlagTable, type CommandCompletion, type FlagTable } from './flag-table.js';
import type { CliIO } from './main.js';

const USAGE = `Usage: bulkhead dataplane <action> [flags]

  up                         start the dataplane for the local cluster in --dir (root)
  pod NS/NAME [flags]        start a pod: a network namespace, a Pod bound to the node, a listener
      --labels k=v,...         its labels
      --port [NAME:]PORT[/UDP] a declared container port (repeatable); listened on in TCP and UDP
      --service-account SA     spec.serviceAccountName
  outside NAME --ip ADDR --port PORT
                             a listener outside the pod ranges, reached through CIDR rules (repeatable flags)
  rm NS/NAME | NAME          remove a pod or outside listener
  probe FROM TO PORT [--udp] open one new connection from pod FROM to TO (NS/NAME, NAME or an
                             address); prints connected or refused; exit 0 when connected, 1 when not
      --every MS --for MS      instead, open a new connection every MS for MS (to the first address)
                               and print how many got through and when; exit 0
  status                     the slots, their enforcer and hosts
  down [--all]               stop the dataplane of --dir (with --all: every slot on this machine,
                             also what a killed run left behind)

  --dir DIR   the local cluster's state directory (default .local)

  Exit 0 done (a probe connected), 1 a probe was refused, 2 a usage error or a failure.
`;

interface Args {
  action?: string;
  positional: string[];
  dir: string;
  labels: Record<string, string>;
  ports: PodPort[];
  ips: string[];
  serviceAccount?: string;
  udp: boolean;
  all: boolean;
  everyMs?: number;
  forMs?: number;
}

const FLAGS: FlagTable<Args, string> = {
  flags: [
    { names: ['-h', '--help'], takesValue: false, set: (a) => { a.action = 'help'; } },
    { names: ['--dir'], valueKind: 'directory', set: (a, v) => { a.dir = v; } },
    { names: ['--labels'], set: (a, v) => parseLabels(a, v) },
    { names: ['--port'], set: (a, v) => parsePort(a, v) },
    { names: ['--ip'], set: (a, v) => { a.ips.push(v); } },
    { names: ['--service-account'], set: (a, v) => { a.serviceAccount = v; } },
    { names: ['--udp'], takesValue: false, set: (a) => { a.udp = true; } },
    { names: ['--all'], takesValue: false, set: (a) => { a.all = true; } },
    { names: ['--every'], set: (a, v) => milliseconds(v, '--every', (ms) => { a.everyMs = ms; }) },
    { names: ['--for'], set: (a, v) => milliseconds(v, '--for', (ms) => { a.forMs = ms; }) },
  ],
  other: (arg, a) => {
    if (arg.startsWith('-')) return `unknown flag "${arg}"`;
    if (a.action === undefined) a.action = arg;
    else a.positional.push(arg);
    return undefined;
  },
};

function milliseconds(v: string, flag: string, set: (ms: number) => void): string | undefined {
  const ms = Number(v.replace(/ms$/, ''));
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) return `${flag}: "${v}" is not a number of milliseconds in 1-600000`;
  set(ms);
  return undefined;
}

function parseLabels(a: Args, v: string): string | undefined {
  for (const pair of v.split(',').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `--labels: "${pair}" is not key=value`;
    a.labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return undefined;
}

function parsePort(a: Args, v: string): string | undefined {
  const m = /^(?:([a-z0-9-]+):)?(\d+)(?:\/(TCP|UDP|SCTP))?$/i.exec(v);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535) return `--port: "${v}" is not [NAME:]PORT[/TCP|UDP] with PORT in 1-65535`;
  a.ports.push({ ...(m[1] === undefined ? {} : { name: m[1] }), port, protocol: (m[3]?.toUpperCase() ?? 'TCP') as PodPort['protocol'] });
  return undefined;
}

type Action = (a: Args, io: CliIO) => Promise<number>;

const ACTIONS: Record<string, Action> = {
  up: async (a, io) => {
    const cluster = loadCluster(a.dir);
    const existing = slotOf(cluster);
    if (existing !== undefined) {
      io.stdout(`dataplane already running for ${cluster.server} (slot ${existing.slot}, node ${existing.node})\n`);
      return 0;
    }
    const dp = await Dataplane.start({ server: cluster.server, tls: cluster.adminTls(), enforcer: await findEnforcer(), ownerPid: null, log: (l) => io.stderr(`[dataplane] ${l}\n`) });
    io.stdout(`dataplane ready: slot ${dp.slot}, node ${dp.node}, enforcer kube-network-policies (pid ${dp.enforcerPid ?? '-'})\n` +
      `try: bulkhead dataplane pod NS/NAME --labels app=x --port 8080; bulkhead dataplane probe NS/A NS/B 8080\n`);
    return 0;
  },
  pod: async (a, io) => {
    const [key] = a.positional;
    const [namespace, name] = key?.split('/') ?? [];
    if (namespace === undefined || name === undefined || name === '') return usage(io, 'pod needs NAMESPACE/NAME');
    const host = await attach(a).addPod({ namespace, name, labels: a.labels, ports: a.ports, ...(a.serviceAccount === undefined ? {} : { serviceAccountName: a.serviceAccount }) });
    io.stdout(`${describe(host)}\n`);
    return 0;
  },
  outside: async (a, io) => {
    const [name] = a.positional;
    if (name === undefined || a.ips.length === 0) return usage(io, 'outside needs NAME and at least one --ip');
    const host = await attach(a).addOutside({ name, ipv4: a.ips.filter((ip) => !ip.includes(':')), ipv6: a.ips.filter((ip) => ip.includes(':')), ports: a.ports.map((p) => p.port) });
    io.stdout(`${describe(host)}\n`);
    return 0;
  },
  rm: async (a, io) => {
    const [key] = a.positional;
    if (key === undefined) return usage(io, 'rm needs NS/NAME or NAME');
    const dp = attach(a);
    const host = dp.host(key);
    if (host.pod !== undefined) await dp.removePod(host.pod.namespace, host.pod.name);
    else await dp.removeHost(key);
    return 0;
  },
  probe: async (a, io) => probe(a, io),
  status: (_a, io) => {
    const slots = Dataplane.slots();
    if (slots.length === 0) io.stdout('no dataplane is running\n');
    for (const s of slots) {
      io.stdout(`slot ${s.slot}: API server ${s.server}, enforcer pid ${s.enforcerPid ?? '-'}, owner ${s.ownerPid ?? 'none (detached)'}\n`);
      for (const h of s.hosts) io.stdout(`  ${describe(h)}\n`);
    }
    return Promise.resolve(0);
  },
  down: async (a, io) => {
    if (a.all) {
      const swept = await sweepSlots({ all: true });
      io.stdout(swept.length === 0 ? 'nothing to remove\n' : `removed dataplane slots ${swept.join(', ')}\n`);
      return 0;
    }
    const cluster = DevCluster.hasState(a.dir) ? DevCluster.load(a.dir) : undefined;
    const state = cluster === undefined ? undefined : slotOf(cluster);
    if (cluster === undefined || state === undefined) {
      io.stdout(`no dataplane for the cluster in ${a.dir}\n`);
      return 0;
    }
    await Dataplane.attach(state.slot, { server: cluster.server, tls: cluster.adminTls() }).stop();
    io.stdout(`dataplane slot ${state.slot} stopped\n`);
    return 0;
  },
};

/** For `bulkhead completion`. */
export const DATAPLANE_COMPLETION: CommandCompletion = { flags: FLAGS.flags, actions: Object.keys(ACTIONS) };

async function probe(a: Args, io: CliIO): Promise<number> {
  const [from = '', to = '', portText] = a.positional;
  const port = portNumber(portText);
  if (to === '' || port === undefined) return usage(io, 'probe needs FROM TO PORT, with PORT in 1-65535');
  const dp = attach(a);
  const target = dp.hosts().find((h) => h.key === to);
  const addresses = target === undefined ? [to] : [...target.ipv4, ...target.ipv6];
  const p = { from, to, port, protocol: protocolOf(a) };
  try {
    if (a.everyMs !== undefined) return await probeRepeatedly(dp, p, addresses[0] ?? to, { everyMs: a.everyMs, forMs: a.forMs ?? 2000 }, io);
    return (await probeEach(dp, p, addresses, io)) ? 0 : 1;
  } finally {
    dp.close();
  }
}

function portNumber(text: string | undefined): number | undefined {
  const port = Number(text);
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

const protocolOf = (a: Args): Protocol => (a.udp ? 'UDP' : 'TCP');

/**
 * probeRepeatedly opens a new connection every `everyMs` for `forMs` (no retry: it measures when
 * connections get through) and prints how many did, and between when and when.
 */
async function probeRepeatedly(dp: Dataplane, p: { from: string; to: string; port: number; protocol: Protocol }, address: string, t: { everyMs: number; forMs: number }, io: CliIO): Promise<number> {
  const began = Date.now();
  const attempts: Promise<{ at: number; open: boolean }>[] = [];
  while (Date.now() - began < t.forMs) {
    const at = Date.now() - began;
    attempts.push(dp.probe(p.from, address, p.protocol, p.port, { timeoutMs: 200, retry: false }).then((r) => ({ at, open: r.open })));
    await new Promise((resolve) => setTimeout(resolve, t.everyMs));
  }
  const done = await Promise.all(attempts);
  const open = done.filter((x) => x.open).map((x) => x.at);
  const when = open.length === 0 ? '' : ` (between ${Math.min(...open)} and ${Math.max(...open) + t.everyMs} ms)`;
  io.stdout(`${p.from} -> ${p.to} ${address} ${p.protocol}/${p.port}: ${open.length} of ${done.length} new connections got through in ${t.forMs} ms${when}\n`);
  return 0;
}

/** probeEach probes every address of the target and prints each verdict; true when all connected. */
async function probeEach(dp: Dataplane, p: { from: string; to: string; port: number; protocol: Protocol }, addresses: readonly string[], io: CliIO): Promise<boolean> {
  let open = true;
  for (const address of addresses) {
    const r = await dp.probe(p.from, address, p.protocol, p.port);
    open &&= r.open;
    const verdict = r.open ? `connected (${r.peer ?? r.result})` : 'refused';
    io.stdout(`${p.from} -> ${p.to} ${address} ${p.protocol}/${p.port}: ${verdict} in ${r.ms} ms\n`);
  }
  return open;
}

const describe = (h: HostRecord): string =>
  `${h.pod === undefined ? 'outside' : 'pod'} ${h.key}  ${[...h.ipv4, ...h.ipv6].join(' ')}  listening on ${h.tcp.join(',') || '-'} (TCP and UDP)  netns ${h.netns}`;

function usage(io: CliIO, problem: string): number {
  io.stderr(`bulkhead dataplane: ${problem}\n\n${USAGE}`);
  return 2;
}

function loadCluster(dir: string): DevCluster {
  if (!DevCluster.hasState(dir)) throw new Error(`no local cluster in ${dir}; start one with: bulkhead local-cluster up --dir ${dir}`);
  return DevCluster.load(dir);
}

const slotOf = (cluster: DevCluster): { slot: number; node: string } | undefined => {
  const s = Dataplane.slots().find((x) => x.server === cluster.server);
  return s === undefined ? undefined : { slot: s.slot, node: `bhdp-node-${s.slot}` };
};

function attach(a: Args): Dataplane {
  const cluster = loadCluster(a.dir);
  const s = slotOf(cluster);
  if (s === undefined) throw new Error(`no dataplane for the cluster in ${a.dir}; start it with: bulkhead dataplane up --dir ${a.dir}`);
  return Dataplane.attach(s.slot, { server: cluster.server, tls: cluster.adminTls() });
}

export async function runDataplane(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlagTable(argv, FLAGS, { positional: [], dir: '.local', labels: {}, ports: [], ips: [], udp: false, all: false });
  if (typeof parsed === 'string') return usage(io, parsed);
  if (parsed.action === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const action = parsed.action === undefined ? undefined : ACTIONS[parsed.action];
  if (action === undefined) return usage(io, parsed.action === undefined ? 'missing action' : `unknown action "${parsed.action}"`);
  try {
    return await action({ ...parsed, dir: path.resolve(parsed.dir) }, io);
  } catch (err) {
    io.stderr(`bulkhead dataplane ${parsed.action ?? ''}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}
