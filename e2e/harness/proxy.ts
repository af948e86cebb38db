// A TCP proxy in front of the API server for fault suites: the operator's kubeconfig points at the
// proxy, so a suite can cut every open connection (watch streams included) and refuse new ones for
// a while, as a network partition would, without touching the API server. TLS passes through
// untouched (the serving certificate names 127.0.0.1; the port does not matter to verification).
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';

export interface ApiProxy {
  readonly port: number;
  /** Destroys every open connection and refuses new ones until `heal()`. */
  partition(): void;
  heal(): void;
  /** A copy of `kubeconfig` whose server is the proxy. */
  kubeconfig(kubeconfig: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApiProxy(target: { host: string; port: number }): Promise<ApiProxy> {
  const open = new Set<net.Socket>();
  let partitioned = false;
  const server = net.createServer((client) => {
    if (partitioned) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    partition(): void {
      partitioned = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    heal(): void {
      partitioned = false;
    },
    async kubeconfig(kubeconfig: string): Promise<string> {
      const text = await readFile(kubeconfig, 'utf8');
      const out = `${kubeconfig}.proxy-${port}`;
      await writeFile(out, text.replace(/server: *"?https:\/\/127\.0\.0\.1:\d+"?/, `server: "https://127.0.0.1:${port}"`), { mode: 0o600 });
      return out;
    },
    close(): Promise<void> {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
