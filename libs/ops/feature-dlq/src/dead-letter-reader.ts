import type { Admin, Kafka } from 'kafkajs';
import { DLQ_HEADERS } from '@paystream/contracts';
import { formatDeadLetterRef, readDeadLetter, type DeadLetter, type DeadLetterError, type DeadLetterRef, type Outcome, type RawDeadLetter } from '@paystream/ops/domain';
import { DLQ_READER_GROUP_PREFIX, headerString, logicalTopic, physicalTopic, type KafkaSettings } from '@paystream/shared/kafka';

/** How long a read of dead letters may take before it gives up (joining a group takes a few seconds). */
export const DLQ_READ_TIMEOUT_MS = 30_000;

export type ReadError = DeadLetterError | { code: 'DLQ_MESSAGE_NOT_FOUND'; ref: string };

/** A message in a dead-letter topic, read as stored (its DLQ headers may be missing on a foreign message). */
export interface StoredDeadLetter extends RawDeadLetter {
  ref: DeadLetterRef;
}

/**
 * Reads dead-letter topics from outside the services: a consumer of its own that seeks to the
 * offsets wanted and never commits (a fresh group each time, so nothing is left behind to lag).
 */
export class DeadLetterReader {
  constructor(
    private readonly kafka: Kafka,
    private readonly settings: Pick<KafkaSettings, 'topicPrefix'>,
  ) {}

  /** The dead-letter topics of this stack (logical names). */
  async topics(): Promise<string[]> {
    return this.withAdmin(async (admin) =>
      (await admin.listTopics())
        .filter((t) => t.endsWith('.dlq') && (this.settings.topicPrefix === '' || t.startsWith(this.settings.topicPrefix)))
        .map((t) => logicalTopic(this.settings, t))
        .sort(),
    );
  }

  /** The newest `limit` messages of each given dead-letter topic, newest first per topic (by when they were dead-lettered). */
  async latest(topics: readonly string[], limit: number): Promise<StoredDeadLetter[]> {
    const wanted: { topic: string; partition: number; from: number; to: number }[] = [];
    await this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      for (const topic of topics) {
        if (!existing.has(physicalTopic(this.settings, topic))) continue;
        for (const w of await admin.fetchTopicOffsets(physicalTopic(this.settings, topic))) {
          const low = Number(w.low);
          const high = Number(w.high);
          if (high > low) wanted.push({ topic, partition: w.partition, from: Math.max(low, high - limit), to: high });
        }
      }
    });
    const read = await this.readRanges(wanted);
    return topics.flatMap((t) =>
      read
        .filter((m) => m.ref.topic === t)
        // offsets are comparable within a partition only; the dlq_at header orders across partitions
        .sort((a, b) => (b.headers[DLQ_HEADERS.at] ?? '').localeCompare(a.headers[DLQ_HEADERS.at] ?? '') || Number(BigInt(b.ref.offset) - BigInt(a.ref.offset)) || b.ref.partition - a.ref.partition)
        .slice(0, limit),
    );
  }

  /** One dead letter by its ref, with its DLQ headers read. */
  async one(ref: DeadLetterRef): Promise<Outcome<DeadLetter, ReadError>> {
    const range = await this.withAdmin(async (admin) => {
      const physical = physicalTopic(this.settings, ref.topic);
      if (!(await admin.listTopics()).includes(physical)) return undefined;
      return (await admin.fetchTopicOffsets(physical)).find((w) => w.partition === ref.partition);
    });
    const offset = Number(ref.offset);
    if (!range) return { ok: false, error: { code: 'DLQ_MESSAGE_NOT_FOUND', ref: formatDeadLetterRef(ref) } };
    if (offset < Number(range.low) || offset >= Number(range.high)) return { ok: false, error: { code: 'DLQ_MESSAGE_NOT_FOUND', ref: formatDeadLetterRef(ref) } };
    const [stored] = await this.readRanges([{ topic: ref.topic, partition: ref.partition, from: offset, to: offset + 1 }]);
    if (!stored) return { ok: false, error: { code: 'DLQ_MESSAGE_NOT_FOUND', ref: formatDeadLetterRef(ref) } };
    return readDeadLetter(ref, stored);
  }

  /** Reads [from, to) of each partition given. */
  private async readRanges(ranges: readonly { topic: string; partition: number; from: number; to: number }[]): Promise<StoredDeadLetter[]> {
    const pending = ranges.filter((r) => r.to > r.from);
    if (pending.length === 0) return [];
    const out: StoredDeadLetter[] = [];
    const remaining = new Map(pending.map((r) => [`${physicalTopic(this.settings, r.topic)}/${r.partition}`, r]));
    const consumer = this.kafka.consumer({ groupId: physicalTopic(this.settings, `${DLQ_READER_GROUP_PREFIX}${process.pid}-${Date.now()}`), maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...new Set(pending.map((r) => physicalTopic(this.settings, r.topic)))], fromBeginning: true });
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const key = `${topic}/${partition}`;
          const range = remaining.get(key);
          if (!range) return;
          const offset = Number(message.offset);
          if (offset >= range.from && offset < range.to) {
            const headers: Record<string, string> = {};
            for (const name of Object.keys(message.headers ?? {})) headers[name] = headerString(message.headers, name) ?? '';
            out.push({ ref: { topic: range.topic, partition, offset: message.offset }, key: message.key?.toString('utf8') ?? null, value: message.value, headers });
          }
          if (offset >= range.to - 1) {
            remaining.delete(key);
            if (remaining.size === 0) done();
          }
        },
      });
      for (const r of pending) consumer.seek({ topic: physicalTopic(this.settings, r.topic), partition: r.partition, offset: String(r.from) });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise<void>((r) => (timer = setTimeout(r, DLQ_READ_TIMEOUT_MS)))]);
      clearTimeout(timer);
    } finally {
      await consumer.disconnect();
    }
    return out;
  }

  private async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }
}
