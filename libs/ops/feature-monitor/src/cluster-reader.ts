import { AssignerProtocol, type Admin } from 'kafkajs';
import type { GroupObservation, PartitionOffsets } from '@paystream/ops/domain';
import { logicalTopic, type KafkaSettings } from '@paystream/shared/kafka';

/** Messages held in one dead-letter topic (high minus low watermark over its partitions). */
export interface DlqDepth {
  topic: string;
  messages: number;
}

export interface ClusterObservation {
  groups: GroupObservation[];
  dlq: DlqDepth[];
}

/**
 * Reads consumer groups (members, committed offsets, assigned partitions) and topic watermarks
 * through the Kafka admin API. Only this stack's groups and topics: those under the topic prefix,
 * and groups whose logical name matches groupPattern; names are reported without the prefix.
 */
export class ClusterReader {
  constructor(
    private readonly admin: Admin,
    private readonly settings: Pick<KafkaSettings, 'topicPrefix'>,
    private readonly groupPattern: RegExp,
  ) {}

  private ours(physical: string): boolean {
    return this.settings.topicPrefix === '' || physical.startsWith(this.settings.topicPrefix);
  }

  async observe(): Promise<ClusterObservation> {
    const watermarks = new Map<string, Promise<{ partition: number; low: number; high: number }[]>>();
    const watermarksOf = (topic: string) => {
      let w = watermarks.get(topic);
      if (!w) {
        w = this.admin.fetchTopicOffsets(topic).then((ps) => ps.map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) })));
        watermarks.set(topic, w);
      }
      return w;
    };

    const listed = (await this.admin.listGroups()).groups.filter(
      (g) => (g.protocolType === 'consumer' || g.protocolType === '') && this.ours(g.groupId) && this.groupPattern.test(logicalTopic(this.settings, g.groupId)),
    );
    const described = listed.length > 0 ? (await this.admin.describeGroups(listed.map((g) => g.groupId))).groups : [];
    const existingTopics = new Set(await this.admin.listTopics());

    const groups: GroupObservation[] = [];
    for (const d of described) {
      const assigned = new Set<string>();
      for (const m of d.members) {
        if (!m.memberAssignment || m.memberAssignment.length === 0) continue;
        try {
          const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          for (const topic of Object.keys(decoded?.assignment ?? {})) assigned.add(topic);
        } catch {
          // an assignment in another client's format: the group's committed topics still count
        }
      }
      const committed = await this.admin.fetchOffsets({ groupId: d.groupId });
      const committedBy = new Map<string, Map<number, number>>();
      for (const t of committed) committedBy.set(t.topic, new Map(t.partitions.map((p) => [p.partition, Number(p.offset)])));
      const topics = [...new Set([...assigned, ...committedBy.keys()])].filter((t) => this.ours(t) && existingTopics.has(t)).sort();
      const partitions: PartitionOffsets[] = [];
      for (const topic of topics) {
        for (const w of await watermarksOf(topic)) {
          partitions.push({ topic: logicalTopic(this.settings, topic), partition: w.partition, committed: committedBy.get(topic)?.get(w.partition) ?? -1, low: w.low, high: w.high });
        }
      }
      groups.push({ group: logicalTopic(this.settings, d.groupId), members: d.members.length, partitions });
    }

    const dlq: DlqDepth[] = [];
    for (const topic of [...existingTopics].filter((t) => this.ours(t) && t.endsWith('.dlq')).sort()) {
      const ws = await watermarksOf(topic);
      dlq.push({ topic: logicalTopic(this.settings, topic), messages: ws.reduce((sum, w) => sum + Math.max(0, w.high - w.low), 0) });
    }
    return { groups: groups.sort((a, b) => a.group.localeCompare(b.group)), dlq };
  }
}
