// The harness's side of an agent's control socket: one connection per agent, requests multiplexed
// by id.
import { connect, type Socket } from 'node:net';
import type { ProbeAnswer, ProbeRequest } from './agent.js';

export class AgentClient {
  private socket: Socket | undefined;
  private nextId = 1;
  private buffer = '';
  private readonly waiting = new Map<number, (a: ProbeAnswer) => void>();

  constructor(private readonly control: string) {}

  probe(req: Omit<ProbeRequest, 'id'>): Promise<ProbeAnswer> {
    const id = this.nextId++;
    const socket = this.connection();
    return new Promise((resolve, reject) => {
      // The agent answers within the probe's timeout; past twice that it is gone.
      const guard = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`agent ${this.control} did not answer probe ${id}`));
      }, req.timeoutMs * 2 + 5_000);
      this.waiting.set(id, (a) => {
        clearTimeout(guard);
        resolve(a);
      });
      socket.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connection(): Socket {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    const socket = connect(this.control);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
    });
    this.socket = socket;
    return socket;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const answer = JSON.parse(this.buffer.slice(0, nl)) as ProbeAnswer;
      this.buffer = this.buffer.slice(nl + 1);
      this.waiting.get(answer.id)?.(answer);
      this.waiting.delete(answer.id);
    }
  }
}
