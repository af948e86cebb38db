// Real Prometheus binaries (Debian's `prometheus` package) for the alerting rule suites: promtool
// for `check rules` / `test rules`, and a Prometheus server on loopback, in a temporary directory,
// that scrapes a running operator and evaluates the shipped rules.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { waitFor } from '../harness/cluster.js';
import { repoRoot } from '../harness/operator.js';

/** The one copy of the alerting rules, as the chart ships it. */
export const RULES_FILE = (): string => path.join(repoRoot(), 'charts', 'bulkhead', 'files', 'prometheus-rules.yaml');
/** The promtool unit tests of those rules. */
export const RULES_TESTS = (): string => path.join(repoRoot(), 'e2e', 'monitoring', 'alerts.promtool.yaml');
/** The Grafana dashboard the chart ships. */
export const DASHBOARD_FILE = (): string => path.join(repoRoot(), 'charts', 'bulkhead', 'files', 'grafana-dashboard.json');

const INSTALL_HINT = "install Debian's prometheus package: apt-get install --no-install-recommends prometheus (.ci/run does)";

/**
 * prometheusBinary returns the path of `promtool` or `prometheus` on PATH, or throws naming what
 * is missing and how to install it. The suites fail rather than skip: CI installs the package, so
 * a missing binary is a broken machine, not a reason to pass.
 */
export function prometheusBinary(name: 'promtool' | 'prometheus'): string {
  const found = (process.env['PATH'] ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, name))
    .find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error(`${name} is not installed (not on PATH): ${INSTALL_HINT}`);
  return found;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

/** loadRules parses the shipped rules file. */
export function loadRules(file: string = RULES_FILE()): RuleFile {
  return load(readFileSync(file, 'utf8')) as RuleFile;
}

/** alertNames lists every alert of a rules file, in order. */
export function alertNames(rules: RuleFile): string[] {
  return rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
}

/** A free loopback port: bound, read and released (Prometheus cannot report a port 0 it bound). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface RunningPrometheus {
  readonly url: string;
  /** GET an API path and return its `data`; throws on a non-success answer. */
  api<T>(p: string): Promise<T>;
  /** Active alerts (pending and firing), from /api/v1/alerts. */
  alerts(): Promise<PrometheusAlert[]>;
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of each target of job "bulkhead". */
  targets: string[];
  ruleFiles: string[];
  /** Scrape and rule evaluation interval. @default 1s */
  interval?: string;
}

/**
 * startPrometheus runs a Prometheus server on a free loopback port with its TSDB in a temporary
 * directory, and resolves once it is ready. stop() ends it and removes the directory.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const bin = prometheusBinary('prometheus');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bulkhead-prometheus-'));
  const interval = opts.interval ?? '1s';
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: opts.ruleFiles,
    scrape_configs: [{ job_name: 'bulkhead', static_configs: [{ targets: opts.targets }] }],
  };
  await writeFile(path.join(dir, 'prometheus.yml'), dump(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`GET ${p}: ${res.status} ${body.error ?? ''}`);
    return body.data;
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output.slice(-2000)}`);
      return (await fetch(`${url}/-/ready`)).status === 200;
    }, { timeoutMs: 60_000, description: `Prometheus ready on ${url}` });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    api,
    alerts: async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts,
    logs: () => output,
    stop,
  };
}
