// The program inside every pod of the local dataplane: started in the pod's network namespace
// (`ip netns exec NS node agent.js ...`), it listens on each declared container port, TCP and UDP,
// answering with the pod's name, and opens probe connections on request from the harness.
//
// The harness talks to it over a unix socket: the filesystem is shared across network namespaces,
// so the harness (in the root namespace) reaches an agent whose sockets live in the pod's. Each
// request is one JSON line, each answer one JSON line with the same id.
//
// Contract: this file imports only node: modules, so it starts fast (one per pod) and can run
// from dist/ with no dependency installed.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

export type Protocol = 'TCP' | 'UDP';

/** ProbeRequest asks the agent to open one new connection from inside its pod. */
export interface ProbeRequest {
  id: number;
  protocol: Protocol;
  host: string;
  port: number;
  timeoutMs: number;
}

/**
 * ProbeAnswer: `connected` when the listener at the other end answered (with its pod's name in
 * `peer`); `reset` when the connection was refused by the far end's stack (no listener, RST or
 * ICMP unreachable: the packet got through); `timeout` when nothing came back (the enforcer
 * dropped it).
 */
export interface ProbeAnswer {
  id: number;
  result: 'connected' | 'reset' | 'timeout' | 'error';
  peer?: string;
  error?: string;
  ms: number;
}

interface AgentArgs {
  name: string;
  control: string;
  tcp: number[];
  udp: number[];
}

function parseArgs(argv: readonly string[]): AgentArgs {
  const args: AgentArgs = { name: '', control: '', tcp: [], udp: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ''] = [argv[i], argv[i + 1]];
    if (flag === '--name') args.name = value;
    else if (flag === '--control') args.control = value;
    else if (flag === '--tcp') args.tcp = ports(value);
    else if (flag === '--udp') args.udp = ports(value);
    else throw new Error(`agent: unknown flag ${flag ?? ''}`);
  }
  if (args.name === '' || args.control === '') throw new Error('agent: --name and --control are required');
  return args;
}

const ports = (list: string): number[] => list.split(',').filter((p) => p !== '').map(Number);

function listenTcp(name: string, port: number): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(`${name}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // '::' with ipv6Only false takes both families on one socket.
    server.listen({ host: '::', port, ipv6Only: false }, () => resolve(server));
  });
}

function listenUdp(name: string, port: number, type: 'udp4' | 'udp6'): Promise<UdpSocket> {
  const socket = createSocket({ type, ipv6Only: type === 'udp6' });
  socket.on('message', (_msg, from) => socket.send(name, from.port, from.address));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, type === 'udp4' ? '0.0.0.0' : '::', () => resolve(socket));
  });
}

/** probeTcp opens a new TCP connection and waits for the listener's greeting. */
export function probeTcp(req: ProbeRequest): Promise<ProbeAnswer> {
  const began = Date.now();
  return new Promise((resolve) => {
    let data = '';
    const socket: Socket = connect({ host: req.host, port: req.port });
    const done = (answer: Omit<ProbeAnswer, 'id' | 'ms'>): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ id: req.id, ms: Date.now() - began, ...answer });
    };
    const timer = setTimeout(() => done({ result: 'timeout' }), req.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\n')) done({ result: 'connected', peer: data.trim() });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      done(err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' ? { result: 'reset' } : { result: 'error', error: err.message });
    });
  });
}

/** probeUdp sends one datagram from a new socket and waits for the listener's answer. */
export function probeUdp(req: ProbeRequest): Promise<ProbeAnswer> {
  const began = Date.now();
  const socket = createSocket(req.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    const done = (answer: Omit<ProbeAnswer, 'id' | 'ms'>): void => {
      clearTimeout(timer);
      socket.close();
      resolve({ id: req.id, ms: Date.now() - began, ...answer });
    };
    const timer = setTimeout(() => done({ result: 'timeout' }), req.timeoutMs);
    socket.on('message', (msg) => done({ result: 'connected', peer: msg.toString('utf8') }));
    // A connected UDP socket reports ICMP port unreachable as ECONNREFUSED.
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? { result: 'reset' } : { result: 'error', error: err.message }));
    socket.connect(req.port, req.host, () => socket.send('probe'));
  });
}

function serveControl(path: string): Server {
  rmSync(path, { force: true });
  const server = createServer((client) => {
    let buffer = '';
    client.setEncoding('utf8');
    client.on('error', () => undefined);
    client.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        void answer(line).then((a) => client.writable && client.write(`${JSON.stringify(a)}\n`));
      }
    });
  });
  server.listen(path);
  return server;
}

async function answer(line: string): Promise<ProbeAnswer> {
  let req: ProbeRequest;
  try {
    req = JSON.parse(line) as ProbeRequest;
  } catch {
    return { id: -1, result: 'error', error: `not JSON: ${line.slice(0, 80)}`, ms: 0 };
  }
  return req.protocol === 'UDP' ? probeUdp(req) : probeTcp(req);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await Promise.all([
    ...args.tcp.map((p) => listenTcp(args.name, p)),
    ...args.udp.flatMap((p) => [listenUdp(args.name, p, 'udp4'), listenUdp(args.name, p, 'udp6')]),
  ]);
  serveControl(args.control);
  // The harness waits for this line before it probes.
  process.stdout.write(`ready ${args.name}\n`);
  const stop = (): void => {
    rmSync(args.control, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Run only as a program, not when a test imports the probe functions.
if (process.argv[1]?.endsWith('agent.js') === true) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
