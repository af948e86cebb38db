// Runs the host commands of layout.ts. Setup fails on the first command that fails, naming it and
// what it printed; teardown runs every command and ignores what is already gone.
import { execFile } from 'node:child_process';
import type { Command } from './layout.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** exec runs one command without a shell; it does not throw on a non-zero exit. */
export function exec(cmd: Command, timeoutMs = 15_000): Promise<CommandResult> {
  const [file, ...args] = cmd;
  if (file === undefined) return Promise.resolve({ code: 0, stdout: '', stderr: '' });
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
      resolve({ code, stdout, stderr: err !== null && stderr === '' ? err.message : stderr });
    });
  });
}

/** run runs commands in order and throws on the first failure. */
export async function run(cmds: readonly Command[]): Promise<void> {
  for (const cmd of cmds) {
    const r = await exec(cmd);
    if (r.code !== 0) throw new Error(`${cmd.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
}

/** runAll runs every command, whatever fails (teardown of things that may be gone already). */
export async function runAll(cmds: readonly Command[]): Promise<void> {
  for (const cmd of cmds) await exec(cmd);
}

/**
 * requirements names what the dataplane needs and this machine lacks: root, network namespaces,
 * the legacy iptables tools with conntrack labels and NFQUEUE. Empty when everything is there.
 */
export async function missingRequirements(): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces, routes and netfilter rules need CAP_NET_ADMIN)');
  for (const [tool, why] of [['ip', 'iproute2'], ['iptables-legacy', 'iptables'], ['ip6tables-legacy', 'iptables'], ['sysctl', 'procps']] as const) {
    if ((await exec(['sh', '-c', `command -v ${tool}`])).code !== 0) missing.push(`${tool} (Debian package ${why})`);
  }
  if (missing.length > 0) return missing;
  const probe = `bhdp-probe-${process.pid}`;
  const made = await exec(['ip', 'netns', 'add', probe]);
  if (made.code !== 0) missing.push(`network namespaces (ip netns add: ${made.stderr.trim()})`);
  else await exec(['ip', 'netns', 'del', probe]);
  return missing;
}
