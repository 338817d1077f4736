import { assessConsumerGroups, breakerStates, firstValue, RatioHistory, type BreakerState, type CommitMarks, type GroupHealth } from '@paystream/ops/domain';
import type { Logger } from '@paystream/shared/observability';
import { PollingWorker } from '@paystream/shared/platform';
import type { ClusterReader, DlqDepth } from './cluster-reader';
import type { OpsMetrics } from './ops-metrics';
import { probeService, type ServiceTarget } from './service-probe';

/** The ratios the status page charts, and the service metric each is read from. */
export const STATUS_RATIOS = { p_success: 'paystream_p_success', p_settlement: 'paystream_p_settlement', p_risk: 'paystream_p_risk' } as const;
export type StatusRatio = keyof typeof STATUS_RATIOS;

export interface OpsMonitorSettings {
  /** How often the cluster is read and the services probed. */
  pollIntervalMs: number;
  /** Lag without commit progress for this long is a stall. */
  stallAfterMs: number;
  targets: readonly ServiceTarget[];
}

/** What GET /status.json answers and the status page shows. */
export interface OpsStatus {
  generatedAt: string | null;
  pollIntervalMs: number;
  stallAfterSeconds: number;
  services: { service: string; url: string; up: boolean; detail?: string; metricsDetail?: string }[];
  groups: GroupHealth[];
  dlq: DlqDepth[];
  ratios: Record<StatusRatio, { latest: number | null; points: { at: string; value: number }[] }>;
  breakers: { channel: string; operation: string; state: BreakerState }[];
  /** Why the last cluster read failed, when it did (the figures shown are the ones before). */
  clusterError?: string;
}

/**
 * Every poll interval: reads the cluster (lag, members, commit progress, DLQ depth) and probes each
 * service's /health and /metrics; updates the exported gauges and keeps the status page's figures
 * with a short history of the ratios.
 */
export class OpsMonitor {
  private marks: CommitMarks = new Map();
  private readonly history = new RatioHistory();
  private readonly worker: PollingWorker;
  private current: Omit<OpsStatus, 'ratios' | 'pollIntervalMs' | 'stallAfterSeconds'> = { generatedAt: null, services: [], groups: [], dlq: [], breakers: [] };

  constructor(
    private readonly reader: ClusterReader,
    private readonly metrics: OpsMetrics,
    private readonly settings: OpsMonitorSettings,
    private readonly logger: Logger,
  ) {
    this.worker = new PollingWorker('ops-monitor', settings.pollIntervalMs, () => this.tick(), logger);
  }

  /** Takes a first reading now, then one every poll interval. */
  async start(): Promise<void> {
    await this.tick();
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** One reading of the cluster and the services. */
  async tick(): Promise<void> {
    const now = Date.now();
    const [cluster, probes] = await Promise.all([
      this.reader.observe().then(
        (o) => ({ ok: true as const, o }),
        (error: unknown) => ({ ok: false as const, error: error as Error }),
      ),
      Promise.all(this.settings.targets.map((t) => probeService(t))),
    ]);
    const next = { ...this.current, generatedAt: new Date(now).toISOString() };
    if (cluster.ok) {
      const assessed = assessConsumerGroups(cluster.o.groups, this.marks, now, this.settings.stallAfterMs);
      this.marks = assessed.marks;
      this.metrics.setCluster(assessed.groups, cluster.o.dlq);
      next.groups = assessed.groups;
      next.dlq = cluster.o.dlq;
      delete next.clusterError;
    } else {
      next.clusterError = cluster.error.message;
      this.logger.warn({ err: cluster.error }, 'reading the cluster failed; keeping the last figures');
    }
    for (const p of probes) {
      this.metrics.setServiceUp(p.service, p.up);
      const before = this.current.services.find((x) => x.service === p.service)?.metricsDetail;
      if (p.metricsDetail && p.metricsDetail !== before) this.logger.warn({ service: p.service, detail: p.metricsDetail }, "cannot read the service's /metrics: its ratios and breakers are not shown");
    }
    next.services = probes.map(({ samples: _s, ...p }) => p);
    const samples = probes.flatMap((p) => p.samples);
    for (const [ratio, metric] of Object.entries(STATUS_RATIOS)) {
      const v = firstValue(samples, metric);
      if (v !== undefined && Number.isFinite(v)) this.history.record(ratio, now, v);
    }
    const breakers = breakerStates(samples);
    // breakers exist from a channel's first call on; while the gateway does not answer, the last seen stay
    if (breakers.length > 0) next.breakers = breakers;
    this.current = next;
  }

  status(): OpsStatus {
    const ratios = Object.fromEntries(
      Object.keys(STATUS_RATIOS).map((r) => [r, { latest: this.history.latest(r) ?? null, points: this.history.points(r).map((p) => ({ at: new Date(p.atMs).toISOString(), value: p.value })) }]),
    ) as OpsStatus['ratios'];
    return { ...this.current, pollIntervalMs: this.settings.pollIntervalMs, stallAfterSeconds: this.settings.stallAfterMs / 1000, ratios };
  }
}
