// The conventions every bulkhead command follows: -h/--help, --flag=value, --version, one exit-code
// table (0 ok, 1 findings or changes, 2 errors), and shell completion generated from the same
// command and flag tables the commands parse with. Cases that need a cluster (check's and diff's
// 1, and 2 when the API server does not answer or refuses) run against the real one in
// e2e/controller/exit-codes.test.ts; dataplane probe's 0 and 1 on packets in e2e/dataplane/cli.test.ts.
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { completionScript, commandSpecs } from './completion.js';
import { commands, main } from './main.js';

// The completion cases start bash, zsh and fish several times each: on two busy cores under
// `make test` that can take longer than jest's default 5 s (each shell has 30 s, inShell).
jest.setTimeout(60_000);

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sample = path.join(repo, 'samples', 'fraud-detection.yaml');
const explainDir = path.join(repo, 'src', 'analysis', 'testdata', 'explain-basic');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'bulkhead-cli-'));

describe('every command', () => {
  const names = Object.keys(commands);

  it('has -h and --help, printing its usage on standard output with exit 0', async () => {
    for (const name of names) {
      for (const flag of ['-h', '--help']) {
        const r = await run(name, flag);
        expect([name, flag, r.code, r.out.startsWith(`Usage: bulkhead ${name}`), r.err]).toEqual([name, flag, 0, true, '']);
      }
      // help COMMAND says the same.
      expect((await run('help', name)).out).toBe((await run(name, '--help')).out);
    }
  });

  it('refuses an unknown flag with exit 2, naming it', async () => {
    for (const name of names) {
      const r = await run(name, '--no-such-flag', 'x');
      expect([name, r.code, r.err]).toEqual([name, 2, expect.stringContaining('--no-such-flag')]);
    }
  });

  it('declares the flags it parses for completion', () => {
    expect(names.filter((n) => commands[n]?.completion === undefined)).toEqual([]);
  });
});

describe('flags', () => {
  it('take --flag=value as --flag value', async () => {
    const spaced = await run('explain', '-d', explainDir, '-o', 'json');
    const joined = await run('explain', `--dir=${explainDir}`, '--output=json');
    expect(joined).toEqual(spaced);
    expect(spaced.code).toBe(0);
    const ns = await run('render', `--filename=${sample}`, '--namespace=elsewhere');
    expect(ns.code).toBe(0);
    // The sample names its namespace; -n is the default for documents that do not.
    expect(ns.out).toContain('namespace: ml-prod');
    expect((await run('check', '--output=yaml')).err).toContain('-o must be txt or json, not "yaml"');
  });

  it('say when a value is missing or given to a switch', async () => {
    expect((await run('explain', '-d', explainDir, '--ip-family')).err).toContain('--ip-family needs a value');
    expect((await run('explain', '--live=yes')).err).toContain('--live takes no value');
    expect((await run('local-cluster', 'up', '--dir=')).err).toContain('--dir needs a value');
  });

  it('run refuses a rate limit it cannot keep, before it starts anything', async () => {
    const qps = await run('run', '--kube-api-qps=-1');
    expect(qps.code).toBe(2);
    expect(qps.err).toContain('--kube-api-qps must be a number of requests per second, 0 or more');
    const burst = await run('run', '--kube-api-burst', '0.5');
    expect(burst.code).toBe(2);
    expect(burst.err).toContain('--kube-api-burst must be a whole number of requests, 1 or more');
  });
});

describe('bulkhead --version', () => {
  it('prints the version in package.json', async () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(await run('--version')).toEqual({ code: 0, out: `bulkhead ${pkg.version}\n`, err: '' });
  });
});

describe('exit codes without a cluster (0 ok, 1 findings, 2 errors)', () => {
  const invalid = (): string => {
    const f = path.join(tmp(), 'w.yaml');
    writeFileSync(f, 'apiVersion: bulkhead.dev/v1alpha1\nkind: AIWorkload\nmetadata: {name: w}\nspec: {components: []}\n');
    return f;
  };
  const cases: [string, number, string[]][] = [
    ['no command', 2, []],
    ['an unknown command', 2, ['frobnicate']],
    ['render a sample', 0, ['render', '-f', sample]],
    ['render an invalid AIWorkload', 2, ['render', '-f', invalid()]],
    ['render without -f', 2, ['render']],
    ['diff without -f', 2, ['diff']],
    ['diff an invalid AIWorkload', 2, ['diff', '-f', invalid()]],
    ['explain a directory', 0, ['explain', '-d', explainDir]],
    ['explain a missing directory', 2, ['explain', '-d', path.join(tmp(), 'none')]],
    ['explain with neither -d nor --live', 2, ['explain']],
    ['report a sample', 0, ['report', '-f', sample]],
    ['report a missing file', 2, ['report', '-f', path.join(tmp(), 'none.yaml')]],
    ['report with neither -f nor --live', 2, ['report']],
    ['check with a bad -o', 2, ['check', '-o', 'yaml']],
    ['check in a namespace that cannot exist', 2, ['check', '-n', 'Bulkhead_System']],
    ['exposure in a namespace that cannot exist', 2, ['exposure', '-n', 'ml.prod']],
    ['exposure with a bad -o', 2, ['exposure', '-o', 'yaml']],
    ['crd', 0, ['crd']],
    ['crd with an argument', 2, ['crd', 'extra']],
    ['crd of the ThreatFeed', 0, ['crd', '--kind', 'ThreatFeed']],
    ['crd of an unknown kind', 2, ['crd', '--kind', 'Firewall']],
    ['run with a bad flag value', 2, ['run', '--workers', '0']],
    ['local-cluster status with no cluster', 1, ['local-cluster', 'status', '--dir', tmp()]],
    ['local-cluster env with no cluster', 2, ['local-cluster', 'env', '--dir', tmp()]],
    ['local-cluster down with no cluster', 0, ['local-cluster', 'down', '--dir', tmp()]],
    ['local-cluster without an action', 2, ['local-cluster']],
    ['dataplane with an unknown action', 2, ['dataplane', 'fly']],
    ['dataplane pod with no local cluster', 2, ['dataplane', 'pod', 'a/b', '--dir', tmp()]],
    ['completion bash', 0, ['completion', 'bash']],
    ['completion for an unknown shell', 2, ['completion', 'tcsh']],
  ];

  it.each(cases)('%s exits %d', async (_what, code, argv) => {
    expect((await run(...argv)).code).toBe(code);
  });

  it('covers every command', () => {
    const covered = new Set(cases.map(([, , argv]) => argv[0]));
    // check, diff and exposure reach a cluster for 0 and 1 (e2e/controller/exit-codes.test.ts,
    // check.test.ts, diff.test.ts, exposure.test.ts), run's 1 is in startup.test.ts, a probe's 1 in
    // e2e/dataplane/cli.test.ts.
    expect(Object.keys(commands).filter((c) => !covered.has(c))).toEqual([]);
  });
});

/** Runs `shell` with `args` (and `-c script` when given); its status and output. */
function inShell(shell: string, args: string[], script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(shell, script === '' ? args : [...args, '-c', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined) throw new Error(`${shell} is not installed (apt-get install ${shell}; .ci/run installs it): ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function scriptFile(shell: 'bash' | 'zsh' | 'fish'): Promise<string> {
  const f = path.join(tmp(), `bulkhead.${shell}`);
  writeFileSync(f, await completionScript(shell));
  return f;
}

describe('bulkhead completion', () => {
  it('offers every command, and each command the flags its parser reads', async () => {
    const bash = await completionScript('bash');
    for (const spec of await commandSpecs()) {
      expect(bash).toContain(`    ${spec.name})\n`);
      for (const flag of spec.flags.flatMap((f) => f.names)) expect([spec.name, bash.includes(` ${flag}`)]).toEqual([spec.name, true]);
    }
  });

  it('bash: the script parses (bash -n) and completes commands, actions, flags and values', async () => {
    const f = await scriptFile('bash');
    expect(inShell('bash', ['-n', f], '').status).toBe(0);
    const complete = (words: string[]): string => {
      const script = `source '${f}'\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _bulkhead; echo "\${COMPREPLY[*]}"\n`;
      const r = inShell('bash', [], script);
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(complete(['bulkhead', 'ren'])).toBe('render');
    expect(complete(['bulkhead', 'local-cluster', ''])).toBe('up down env status');
    expect(complete(['bulkhead', 'check', '-o', ''])).toBe('txt json');
    expect(complete(['bulkhead', 'check', '--output', '=', ''])).toBe('txt json');
    expect(complete(['bulkhead', 'explain', '--ip-'])).toBe('--ip-family');
    expect(complete(['bulkhead', 'completion', ''])).toBe('bash zsh fish');
    expect(complete(['bulkhead', 'help', 'exp'])).toBe('explain exposure');
  });

  it('zsh: the script parses (zsh -n) and registers _bulkhead for bulkhead and kubectl-bulkhead after compinit', async () => {
    const f = await scriptFile('zsh');
    expect(inShell('zsh', ['-n', f], '')).toMatchObject({ status: 0, stderr: '' });
    const r = inShell('zsh', ['-f'], `autoload -Uz compinit; compinit -u -D; source '${f}'; print -- "\${_comps[bulkhead]} \${_comps[kubectl-bulkhead]}"\n`);
    expect(r).toMatchObject({ status: 0, stdout: '_bulkhead _bulkhead\n' });
  });

  it('zsh: _bulkhead offers commands, actions, flags and values (compadd, _describe and _files print what they are given)', async () => {
    const f = await scriptFile('zsh');
    // Outside a completion widget the completion builtins do nothing; functions of the same names
    // print their candidates instead, so that what _bulkhead asks zsh to offer can be read.
    const stubs = 'compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }; _describe() { local -a a; a=("${(@P)4}"); print -r -- "${a[@]%%:*}"; }; _files() { print -r -- "files $*"; }';
    const complete = (words: string[]): string => {
      const r = inShell('zsh', ['-f'], `${stubs}; source '${f}'; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _bulkhead\n`);
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(complete(['bulkhead', ''])).toBe(`${Object.keys(commands).join(' ')}\nhelp -h --help --version`);
    expect(complete(['bulkhead', 'local-cluster', ''])).toBe('up down env status');
    expect(complete(['bulkhead', 'check', '-o', ''])).toBe('txt json');
    expect(complete(['bulkhead', 'render', '-f', ''])).toBe('files');
    expect(complete(['bulkhead', 'explain', '-d', ''])).toBe('files -/');
    expect(complete(['bulkhead', 'check', '--'])).toBe('-h --help -n --namespace --lease -o --output');
  });

  it('fish: the script parses (fish -n) and completes commands, actions, flags and values', async () => {
    const f = await scriptFile('fish');
    expect(inShell('fish', ['-n', f], '')).toMatchObject({ status: 0, stderr: '' });
    const complete = (line: string): string[] => {
      const r = inShell('fish', ['--no-config'], `source '${f}'; complete -C '${line}'\n`);
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n').map((l) => l.split('\t')[0] ?? '');
    };
    expect(complete('bulkhead ren')).toEqual(['render']);
    expect(complete('bulkhead local-cluster ').sort()).toEqual(['down', 'env', 'status', 'up']);
    expect(complete('bulkhead check -o ').sort()).toEqual(['json', 'txt']);
    expect(complete('bulkhead check --')).toEqual(expect.arrayContaining(['--namespace', '--lease', '--output', '--help']));
    expect(complete('kubectl-bulkhead ren')).toEqual(['render']);
  });
});
