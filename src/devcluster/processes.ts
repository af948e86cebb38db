// Child processes of the local control plane: started detached so that they outlive the command
// that started them (`bulkhead local-cluster up` exits at once), stopped by PID.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * spawnDetached starts `command` in its own process group with stdout and stderr appended to
 * `logFile`, and returns its PID. The parent keeps no handle open on it, so the parent may exit.
 */
export function spawnDetached(command: string, args: readonly string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
    // A failed exec is reported asynchronously; the caller notices through the PID being gone.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`could not start ${command} (see ${logFile})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** isRunning is true when `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // With /proc mounted a missing entry means the process is gone; elsewhere signal 0 is the test.
    return procMounted() ? false : signalZero(pid);
  }
  // The state letter follows the parenthesised command name, which may itself contain spaces.
  const close = stat.lastIndexOf(')');
  const state = stat.slice(close + 2, close + 3);
  return state !== 'Z' && state !== 'X';
}

function procMounted(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** commandLine returns the argv of a running process, or undefined when it cannot be read. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return undefined;
  }
}

/**
 * isOurProcess guards against PID reuse: a PID recorded in cluster.json is only signalled while
 * it still runs the binary that was started under it.
 */
export function isOurProcess(pid: number, binary: string): boolean {
  if (!isRunning(pid)) return false;
  const argv = commandLine(pid);
  return argv === undefined || argv[0] === binary;
}

/**
 * cpuSeconds is the CPU time `pid` has used so far, user and system (utime + stime of
 * /proc/PID/stat, in clock ticks of 1/100 s), or undefined when unavailable.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime] = [Number(fields[11]), Number(fields[12])];
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** rssBytes is the resident set size of `pid` (from /proc), or undefined when unavailable. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

export interface TerminateOptions {
  /** How long to wait after SIGTERM before SIGKILL. @default 10000 */
  graceMs?: number;
  /** Only signal the PID while it still runs this binary (see isOurProcess). */
  binary?: string;
}

/** terminate sends SIGTERM, waits up to graceMs for the process to exit, then sends SIGKILL. */
export async function terminate(pid: number, opts: TerminateOptions = {}): Promise<void> {
  if (opts.binary !== undefined ? !isOurProcess(pid, opts.binary) : !isRunning(pid)) return;
  signal(pid, 'SIGTERM');
  if (await exited(pid, opts.graceMs ?? 10_000)) return;
  signal(pid, 'SIGKILL');
  if (!(await exited(pid, 5_000))) throw new Error(`process ${pid} survived SIGKILL`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
  return true;
}
