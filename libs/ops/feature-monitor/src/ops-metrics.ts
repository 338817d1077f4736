import type { GroupHealth } from '@paystream/ops/domain';
import { Gauge, OPS_METRIC_NAMES, type Registry } from '@paystream/shared/observability';
import type { DlqDepth } from './cluster-reader';

/** The cluster metrics the ops app exports (names from OPS_METRIC_NAMES, which the alert rules read). */
export class OpsMetrics {
  private readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  private readonly lagTotal: Gauge<'group'>;
  private readonly members: Gauge<'group'>;
  private readonly commitAge: Gauge<'group' | 'topic' | 'partition'>;
  private readonly stalled: Gauge<'group'>;
  private readonly serviceUp: Gauge<'service'>;
  private readonly dlqMessages: Gauge<'topic'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lag = new Gauge({ name: OPS_METRIC_NAMES.consumerGroupLag, help: 'Messages behind the high watermark per consumer group, topic and partition (committed offsets, Kafka admin API)', labelNames: ['group', 'topic', 'partition'], registers });
    this.lagTotal = new Gauge({ name: OPS_METRIC_NAMES.consumerGroupLagTotal, help: "A consumer group's lag summed over its partitions", labelNames: ['group'], registers });
    this.members = new Gauge({ name: OPS_METRIC_NAMES.consumerGroupMembers, help: 'Live members of a consumer group (0: every consumer is gone)', labelNames: ['group'], registers });
    this.commitAge = new Gauge({ name: OPS_METRIC_NAMES.consumerGroupCommitAgeSeconds, help: "Seconds since the group's committed offset on the partition last moved (as seen by this ops process)", labelNames: ['group', 'topic', 'partition'], registers });
    this.stalled = new Gauge({ name: OPS_METRIC_NAMES.consumerGroupStalled, help: '1 when the group has lag and no live member, or lag and no commit progress for the stall time', labelNames: ['group'], registers });
    this.serviceUp = new Gauge({ name: OPS_METRIC_NAMES.serviceUp, help: '1 when the service answers GET /health as ready, else 0', labelNames: ['service'], registers });
    this.dlqMessages = new Gauge({ name: OPS_METRIC_NAMES.dlqMessages, help: 'Messages held in a dead-letter topic (high minus low watermark)', labelNames: ['topic'], registers });
  }

  /** Replaces the group and DLQ series with this observation's (a group or partition gone is no longer exported). */
  setCluster(groups: readonly GroupHealth[], dlq: readonly DlqDepth[]): void {
    for (const g of [this.lag, this.lagTotal, this.members, this.commitAge, this.stalled, this.dlqMessages]) g.reset();
    for (const g of groups) {
      this.lagTotal.set({ group: g.group }, g.lagTotal);
      this.members.set({ group: g.group }, g.members);
      this.stalled.set({ group: g.group }, g.stalled ? 1 : 0);
      for (const p of g.partitions) {
        const labels = { group: g.group, topic: p.topic, partition: String(p.partition) };
        this.lag.set(labels, p.lag);
        this.commitAge.set(labels, p.commitAgeSeconds);
      }
    }
    for (const d of dlq) this.dlqMessages.set({ topic: d.topic }, d.messages);
  }

  setServiceUp(service: string, up: boolean): void {
    this.serviceUp.set({ service }, up ? 1 : 0);
  }
}
