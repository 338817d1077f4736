import { readdirSync, readFileSync } from 'node:fs';
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
    const out = await promtool(['check', 'config', config], PROMETHEUS_DIR);
    expect(out).toContain('is valid prometheus config file syntax');
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
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
