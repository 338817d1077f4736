import type { Admin, Kafka } from 'kafkajs';
import type { Logger, MessagingMetrics } from '@paystream/shared/observability';
import { physicalTopic, type KafkaSettings } from './settings';

/** How often committed offsets and high watermarks are read to compute lag. */
export const LAG_POLL_INTERVAL_MS = 5_000;

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  high: number;
  lag: number;
}

/**
 * Messages a group has still to read on a partition: from its committed offset, or from the low
 * watermark when it never committed (-1) or when retention or compaction deleted past its commit
 * (it resumes at the oldest message left), to the high watermark; never negative.
 */
export function lagOf(p: { committed: number; low: number; high: number }): number {
  return Math.max(0, p.high - Math.max(p.committed, p.low));
}

/**
 * Computes consumer lag from the group's committed offsets against each partition's high
 * watermark through the admin API, so it is right even when the consumer is idle or stuck.
 */
export class ConsumerLagMonitor {
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private latest: PartitionLag[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly groupId: string,
    private readonly topics: readonly string[],
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const tick = async () => {
      try {
        await this.measure();
      } catch (error) {
        this.logger.warn({ err: error }, 'lag measurement failed');
      }
      if (this.admin) this.timer = setTimeout(tick, LAG_POLL_INTERVAL_MS);
    };
    await tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect();
  }

  /** The most recent measurement. */
  snapshot(): readonly PartitionLag[] {
    return this.latest;
  }

  /** Reads offsets now and updates the gauges. */
  async measure(): Promise<readonly PartitionLag[]> {
    const admin = this.admin;
    if (!admin) return this.latest;
    const result: PartitionLag[] = [];
    const physicalTopics = this.topics.map((t) => physicalTopic(this.settings, t));
    const committed = await admin.fetchOffsets({ groupId: physicalTopic(this.settings, this.groupId), topics: physicalTopics });
    for (const [i, topic] of physicalTopics.entries()) {
      const watermarks = await admin.fetchTopicOffsets(topic);
      const byPartition = new Map(committed.find((c) => c.topic === topic)?.partitions.map((p) => [p.partition, Number(p.offset)]));
      for (const w of watermarks) {
        const high = Number(w.high);
        const low = Number(w.low);
        const c = byPartition.get(w.partition) ?? -1;
        const lag = lagOf({ committed: c, low, high });
        result.push({ group: this.groupId, topic: this.topics[i]!, partition: w.partition, committed: c, high, lag });
        this.metrics.consumerLag.set({ group: this.groupId, topic: this.topics[i]!, partition: String(w.partition) }, lag);
      }
    }
    this.latest = result;
    return result;
  }
}
