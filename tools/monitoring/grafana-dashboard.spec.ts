import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardQueries, GRAFANA_DIR, type DashboardPanel } from './dashboard';
import { metricNamesIn, PROMETHEUS_DIR, promtool, registeredMetricNames, ROOT } from './monitoring-tools';

const dashboard = JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', 'paystream.json'), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
};
const queries = dashboardQueries(dashboard.panels);
const datasourceUid = /^\s*uid:\s*(\S+)\s*$/m.exec(readFileSync(join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'))?.[1];
const recordingRules = new Set(
  [...readFileSync(join(PROMETHEUS_DIR, 'rules', 'paystream.rules.yml'), 'utf8').matchAll(/^\s*- record:\s*(\S+)\s*$/gm)].map((m) => m[1]!),
);

describe('Grafana dashboard (infra/grafana)', () => {
  it('is a dashboard Grafana 10/11 loads: a uid, a recent schema, panels with unique ids', () => {
    expect(dashboard.uid).toBe('paystream-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queries.length).toBeGreaterThanOrEqual(20);
  });

  it('gives every panel but the rows a query, with unique refIds, on the provisioned Prometheus', () => {
    expect(datasourceUid).toBe('paystream-prometheus');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      const targets = panel.targets ?? [];
      expect({ panel: panel.title, targets: targets.length > 0 }).toEqual({ panel: panel.title, targets: true });
      expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
      expect(panel.datasource?.uid).toBe(datasourceUid);
      for (const t of targets) expect(t.datasource?.uid ?? panel.datasource?.uid).toBe(datasourceUid);
    }
  });

  it('shows P_success / P_settlement / P_risk, payments by channel and outcome, latency, lag, outbox, breakers, dead letters, settlement amounts, refunds and refunds cleared', () => {
    const read = new Set(queries.flatMap((q) => metricNamesIn(q.expr)));
    for (const metric of [
      'paystream_p_success',
      'paystream_p_settlement',
      'paystream_p_risk',
      'paystream_channel_charges_total',
      'paystream_payment_outcome_seconds',
      'paystream_ops_consumer_group_lag_total',
      'paystream_consumer_lag',
      'paystream_outbox_oldest_age_seconds',
      'paystream_channel_breaker_state',
      'paystream_dlq_messages_total',
      'paystream_settlement_amount_minor',
      'paystream_refunds_booked_total',
      'paystream_reconciliation_refunds_cleared_total',
      'paystream_reconciliation_refunds_cleared_amount_minor_total',
    ]) {
      expect({ metric, shown: read.has(metric) }).toEqual({ metric, shown: true });
    }
    expect(queries.some((q) => /histogram_quantile\(0\.99,/.test(q.expr))).toBe(true);
    // what was paid out, and the refunds settlements netted, are series of their own
    expect(queries.some((q) => /paystream_settlement_amount_minor\{status="completed",kind="net"\}/.test(q.expr))).toBe(true);
    expect(queries.some((q) => /paystream_settlement_amount_minor\{kind="refund"\}/.test(q.expr))).toBe(true);
  });

  it('queries only metrics the services register and recording rules the rules file defines', () => {
    const registered = registeredMetricNames();
    const unknown: string[] = [];
    for (const q of queries) {
      const metrics = metricNamesIn(q.expr);
      const rules = [...q.expr.matchAll(/\b(paystream:[a-z0-9_:]+)/g)].map((m) => m[1]!);
      if (metrics.length + rules.length === 0) unknown.push(`${q.panel} ${q.refId}: reads no Paystream metric`);
      for (const m of metrics) if (!registered.has(m)) unknown.push(`${q.panel} ${q.refId}: ${m}`);
      for (const r of rules) if (!recordingRules.has(r)) unknown.push(`${q.panel} ${q.refId}: recording rule ${r}`);
    }
    expect(unknown).toEqual([]);
  });

  it('has PromQL that promtool parses (each query as a recording rule)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paystream-dashboard-'));
    try {
      const rules = queries.map((q) => `      - record: dashboard:panel_${q.panelId}_${q.refId}\n        expr: ${JSON.stringify(q.expr)}`);
      writeFileSync(join(dir, 'dashboard.rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      expect(await promtool(['check', 'rules', join(dir, 'dashboard.rules.yml')])).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is provisioned by docker-compose.yml next to a Prometheus with the rules', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const provider = readFileSync(join(GRAFANA_DIR, 'provisioning', 'dashboards', 'paystream.yml'), 'utf8');
    const mountedAt = /\.\/infra\/grafana\/dashboards:(\S+?)(?::ro)?$/m.exec(compose)?.[1];
    expect(mountedAt).toBeDefined();
    expect(provider).toContain(`path: ${mountedAt}`);
    expect(compose).toMatch(/\.\/infra\/grafana\/provisioning:\/etc\/grafana\/provisioning/);
    expect(compose).toMatch(/\.\/infra\/prometheus:\/etc\/prometheus/);
    expect(compose).toContain('--config.file=/etc/prometheus/prometheus.compose.yml');
    expect(readFileSync(join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')).toContain('url: http://prometheus:9090');
  });
});
