import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS_FROM_PARALLEL_WORK, metricNamesIn, PROMETHEUS_DIR, promtool, registeredMetricNames } from './monitoring-tools';

const RULES_DIR = join(PROMETHEUS_DIR, 'rules');
const TESTS_DIR = join(PROMETHEUS_DIR, 'tests');
const ruleFiles = readdirSync(RULES_DIR).filter((f) => f.endsWith('.rules.yml'));
const testFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yml'));

/** Alert names with the number of firing and quiet expectations the rule tests hold for each. */
function expectationsPerAlert(): Map<string, { firing: number; quiet: number }> {
  const seen = new Map<string, { firing: number; quiet: number }>();
  for (const file of testFiles) {
    const lines = readFileSync(join(TESTS_DIR, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const name = /^\s*alertname:\s*(\S+)\s*$/.exec(line)?.[1];
      if (!name) return;
      const next = lines[i + 1] ?? '';
      const entry = seen.get(name) ?? { firing: 0, quiet: 0 };
      if (/^\s*exp_alerts:\s*\[\]\s*$/.test(next)) entry.quiet += 1;
      else if (/^\s*exp_alerts:\s*$/.test(next)) entry.firing += 1;
      else throw new Error(`${file}:${i + 2}: expected exp_alerts after alertname ${name}`);
      seen.set(name, entry);
    });
  }
  return seen;
}

describe('Prometheus configuration and alert rules (promtool)', () => {
  it('has rule files and rule tests to check', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
  });

  it.each(['prometheus.yml', 'prometheus.compose.yml'])('%s is a valid configuration with its rule files', async (config) => {
    // promtool opens every job's bearer_token_file (the monitoring token setup writes): checked against a copy
    // whose token files point at one that exists, and whose rule files are the repository's
    const dir = mkdtempSync(join(tmpdir(), 'promcheck-'));
    try {
      writeFileSync(join(dir, 'monitoring-token'), 'svc_monitoring.test-token\n');
      const text = readFileSync(join(PROMETHEUS_DIR, config), 'utf8');
      expect((text.match(/^ {4}bearer_token_file: /gm) ?? []).length).toBe((text.match(/^ {2}- job_name: /gm) ?? []).length);
      const copy = text.replace(/^( {4}bearer_token_file: ).*$/gm, `$1${join(dir, 'monitoring-token')}`).replace(/^( {2}- )rules\//gm, `$1${RULES_DIR}/`);
      writeFileSync(join(dir, config), copy);
      const out = await promtool(['check', 'config', join(dir, config)], PROMETHEUS_DIR);
      expect(out).toContain('is valid prometheus config file syntax');
      expect(out).toMatch(/SUCCESS: [1-9]\d* rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(ruleFiles)('rules/%s parses, every expression included', async (file) => {
    expect(await promtool(['check', 'rules', join('rules', file)], PROMETHEUS_DIR)).toMatch(/SUCCESS: [1-9]\d* rules found/);
  });

  it.each(testFiles)('tests/%s passes under promtool test rules', async (file) => {
    expect(await promtool(['test', 'rules', join('tests', file)], PROMETHEUS_DIR)).toContain('SUCCESS');
  });

  it('tests every alert both firing and staying quiet', () => {
    const alerts = ruleFiles.flatMap((f) => [...readFileSync(join(RULES_DIR, f), 'utf8').matchAll(/^\s*- alert:\s*(\w+)\s*$/gm)].map((m) => m[1]!));
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    const seen = expectationsPerAlert();
    const untested = alerts.filter((a) => !seen.get(a)?.firing || !seen.get(a)?.quiet);
    expect(untested).toEqual([]);
    // and no test names an alert that does not exist (it would pass vacuously)
    expect([...seen.keys()].filter((a) => !alerts.includes(a))).toEqual([]);
  });

  it('reads only metrics the services register (or the reconciliation, merged separately)', () => {
    const exprs = ruleFiles.flatMap((f) => readFileSync(join(RULES_DIR, f), 'utf8').split(/\n\s*- (?:record|alert):/));
    const read = [...new Set(exprs.flatMap(metricNamesIn))];
    expect(read).toEqual(expect.arrayContaining(['paystream_consumer_lag', 'paystream_outbox_oldest_age_seconds', 'paystream_channel_breaker_state']));
    const registered = registeredMetricNames();
    expect(read.filter((name) => !registered.has(name) && !METRICS_FROM_PARALLEL_WORK.includes(name))).toEqual([]);
  });
});
