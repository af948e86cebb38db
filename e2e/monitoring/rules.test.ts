// The shipped alerting rules (charts/bulkhead/files/prometheus-rules.yaml) under a real promtool:
// they check, their unit tests (alerts.promtool.yaml) pass, every alert has a case in which it
// fires and one in which it must not, and those cases bite: an alert that never fires, or one that
// also fires where it must not, fails them. docs/operations.md lists every alert.
import { describe, expect, it, jest } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { run } from '../packaging/install-files.js';
import { repoRoot } from '../harness/operator.js';
import { type RuleFile, RULES_FILE, RULES_TESTS, alertNames, loadRules, prometheusBinary } from './prometheus.js';

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[] | null;
}
interface PromtoolTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertRuleTest[] }[];
}

// Each case starts promtool, a Go binary of ~100 MB: on two busy cores under `make test` its first
// start, from a cold page cache, took over jest's default 5 s.
jest.setTimeout(60_000);

const promtool = prometheusBinary('promtool');
const rules = loadRules();
const names = alertNames(rules);

/**
 * promtoolTestWith runs the unit tests against a changed copy of the rules, laid out as in the
 * repository (the test file names the rules by a relative path).
 */
async function promtoolTestWith(mutate: (r: RuleFile) => void): Promise<{ code: number; out: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bulkhead-rules-'));
  try {
    const tests = path.join(root, path.relative(repoRoot(), RULES_TESTS()));
    const copy = path.join(root, path.relative(repoRoot(), RULES_FILE()));
    mkdirSync(path.dirname(tests), { recursive: true });
    mkdirSync(path.dirname(copy), { recursive: true });
    copyFileSync(RULES_TESTS(), tests);
    const changed = loadRules();
    mutate(changed);
    writeFileSync(copy, dump(changed));
    const res = await run(promtool, ['test', 'rules', tests]);
    return { code: res.code, out: `${res.stdout}${res.stderr}` };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const ruleOf = (r: RuleFile, alert: string): { expr: string } => {
  const found = r.groups.flatMap((g) => g.rules).find((x) => x.alert === alert);
  if (found === undefined) throw new Error(`no rule ${alert}`);
  return found;
};

describe('the alerting rules', () => {
  it('pass promtool check rules', async () => {
    const res = await run(promtool, ['check', 'rules', RULES_FILE()]);
    expect(`${res.stdout}${res.stderr}`).toContain(`SUCCESS: ${names.length} rules found`);
    expect(res.code).toBe(0);
  });

  it('pass their promtool unit tests', async () => {
    const res = await run(promtool, ['test', 'rules', RULES_TESTS()]);
    expect(`${res.stdout}${res.stderr}`).toMatch(/SUCCESS/);
    expect(res.code).toBe(0);
  });

  it('are the shipped file: the unit tests load exactly it', () => {
    const tests = load(readFileSync(RULES_TESTS(), 'utf8')) as PromtoolTests;
    expect(tests.rule_files.map((f) => path.resolve(path.dirname(RULES_TESTS()), f))).toEqual([RULES_FILE()]);
  });

  it('each alert has a severity, a summary and a description, and docs/operations.md lists it', () => {
    const docs = readFileSync(path.join(repoRoot(), 'docs', 'operations.md'), 'utf8');
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      expect([rule.alert, rule.labels?.['severity']]).toEqual([rule.alert, expect.stringMatching(/^(critical|warning)$/)]);
      expect([rule.alert, Object.keys(rule.annotations ?? {}).sort()]).toEqual([rule.alert, ['description', 'summary']]);
      expect([rule.alert, docs.includes(`| \`${rule.alert}\` |`)]).toEqual([rule.alert, true]);
    }
  });

  it('each alert has a unit test case in which it fires and one in which it must not', () => {
    const tests = load(readFileSync(RULES_TESTS(), 'utf8')) as PromtoolTests;
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of names) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect([alert, mine.some((c) => (c.exp_alerts ?? []).length > 0)]).toEqual([alert, true]);
      expect([alert, mine.some((c) => (c.exp_alerts ?? []).length === 0)]).toEqual([alert, true]);
    }
    // No case names an alert that does not exist (a typo would test nothing).
    expect(cases.map((c) => c.alertname).filter((a) => !names.includes(a))).toEqual([]);
  });

  it.each(names)('the unit tests fail when %s never fires', async (alert) => {
    const res = await promtoolTestWith((r) => {
      ruleOf(r, alert).expr = 'vector(1) == 0';
    });
    expect(res.code).not.toBe(0);
    expect(res.out).toContain(`alertname: ${alert}`);
  });

  it.each(names)('the unit tests fail when %s also fires where it must not', async (alert) => {
    // Where the real expression holds, `or on() vector(1)` adds nothing; elsewhere it adds a
    // label-less alert: only the "must not fire" cases can catch it.
    const res = await promtoolTestWith((r) => {
      const rule = ruleOf(r, alert);
      rule.expr = `(${rule.expr}) or on() vector(1)`;
    });
    expect(res.code).not.toBe(0);
    expect(res.out).toContain(`alertname: ${alert}`);
  });
});
