import { randomBytes } from 'node:crypto';
import { AssignerProtocol, Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';
import { CE_HEADERS, DLQ_HEADERS, TOPICS } from '@paystream/contracts';
import { AUDITOR_GROUP_PREFIX, headerString, lagOf, logicalTopic, physicalTopic } from '@paystream/shared/kafka';
import { loadKafkaSecurity } from '@paystream/shared/platform';
import type { AuditTarget } from '../audit-target';
import type { DeadLetter, GroupLag, OutcomeEvent, RequestedEvent } from '../checks/snapshot';

/** How long reading the topics up to their end may take before the audit gives up (exit 2). */
const KAFKA_READ_TIMEOUT_MS = 120_000;
/** The services' consumer groups are `<prefix>paystream.<service>` (shared/platform). */
const SERVICE_GROUP_PREFIX = 'paystream.';

export interface KafkaSnapshot {
  requested: RequestedEvent[];
  outcomes: OutcomeEvent[];
  deadLetters: DeadLetter[];
  consumerLag: GroupLag[];
}

interface ReadMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

const MINOR_PATTERN = /^\d+$/;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function json(m: KafkaMessage): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(m.value?.toString('utf8') ?? '');
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const position = (r: ReadMessage) => `${r.topic}@${r.partition}:${r.message.offset}`;
const eventIdOf = (r: ReadMessage) => headerString(r.message.headers, CE_HEADERS.id) ?? position(r);

/** A payment.requested.v1 event as an order, or undefined when it names none (it is dead-lettered, and checked as such). */
function requestedOf(r: ReadMessage): RequestedEvent | undefined {
  const v = json(r.message);
  const orderId = str(v?.orderId);
  const amount = str(v?.amountMinor);
  if (!v || !orderId || !amount || !MINOR_PATTERN.test(amount)) return undefined;
  return { eventId: eventIdOf(r), orderId, merchantId: str(v.merchantId) ?? '', amountMinor: BigInt(amount), currency: str(v.currency) ?? '' };
}

function outcomeOf(r: ReadMessage, outcome: OutcomeEvent['outcome']): OutcomeEvent | undefined {
  const v = json(r.message);
  const orderId = str(v?.orderId);
  const amount = str(v?.amountMinor);
  if (!v || !orderId || !amount || !MINOR_PATTERN.test(amount)) return undefined;
  const channelTradeNo = str(v.channelTradeNo);
  return { eventId: eventIdOf(r), outcome, orderId, merchantId: str(v.merchantId) ?? '', paymentId: str(v.paymentId) ?? '', amountMinor: BigInt(amount), currency: str(v.currency) ?? '', ...(channelTradeNo ? { channelTradeNo } : {}) };
}

/**
 * Reads topics from their beginning to the end they had when the read began, with a throwaway
 * consumer group of its own (deleted afterwards), so the services' groups are never touched.
 */
async function readToEnd(kafka: Kafka, admin: Admin, topics: string[], prefix: string): Promise<ReadMessage[]> {
  const remaining = new Map<string, bigint>(); // topic:partition -> the last offset to read
  for (const topic of topics) {
    for (const w of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(w.high) > BigInt(w.low)) remaining.set(`${topic}:${w.partition}`, BigInt(w.high) - 1n);
    }
  }
  if (remaining.size === 0) return [];
  const groupId = `${prefix}${AUDITOR_GROUP_PREFIX}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
  const read: ReadMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topics.length} topic(s) took over ${KAFKA_READ_TIMEOUT_MS} ms; ${remaining.size} partition(s) unread`)), KAFKA_READ_TIMEOUT_MS);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const key = `${topic}:${partition}`;
            const last = remaining.get(key);
            if (last === undefined || BigInt(message.offset) > last) return;
            read.push({ topic, partition, message });
            if (BigInt(message.offset) === last) remaining.delete(key);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}

/** Lag of every service consumer group under the prefix: committed offsets against high watermarks, as ops computes it. */
async function readLag(admin: Admin, prefix: string, existing: Set<string>): Promise<GroupLag[]> {
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${prefix}${SERVICE_GROUP_PREFIX}`));
  if (groups.length === 0) return [];
  const described = (await admin.describeGroups(groups)).groups;
  const lag: GroupLag[] = [];
  for (const d of described) {
    const assigned = new Set<string>();
    for (const m of d.members) {
      try {
        for (const topic of Object.keys(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {})) assigned.add(topic);
      } catch {
        // another client's assignment format: the committed topics still count
      }
    }
    const committed = await admin.fetchOffsets({ groupId: d.groupId });
    const committedBy = new Map(committed.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]))]));
    for (const topic of [...new Set([...assigned, ...committedBy.keys()])].filter((t) => existing.has(t)).sort()) {
      for (const w of await admin.fetchTopicOffsets(topic)) {
        const n = lagOf({ committed: committedBy.get(topic)?.get(w.partition) ?? -1, low: Number(w.low), high: Number(w.high) });
        lag.push({ group: logicalTopic({ topicPrefix: prefix }, d.groupId), topic: logicalTopic({ topicPrefix: prefix }, topic), partition: w.partition, lag: n });
      }
    }
  }
  return lag;
}

/** Reads the order and outcome topics and every dead-letter topic under the prefix, and the services' consumer lag. */
export async function readKafka(target: AuditTarget): Promise<KafkaSnapshot> {
  const prefix = target.kafka.topicPrefix;
  // the files the target names, read and checked as a service's KAFKA_SSL_CA_FILE and KAFKA_SASL_* are
  const { ssl, sasl } = loadKafkaSecurity('auditor', { KAFKA_SSL_CA_FILE: target.kafka.caFile, KAFKA_SASL_USERNAME: target.kafka.sasl?.username, KAFKA_SASL_PASSWORD_FILE: target.kafka.sasl?.passwordFile });
  const kafka = new Kafka({
    clientId: 'paystream-auditor',
    brokers: target.kafka.brokers,
    ...(ssl ? { ssl: { ca: [ssl.ca] } } : {}),
    ...(sasl ? { sasl } : {}),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set((await admin.listTopics()).filter((t) => t.startsWith(prefix)));
    const t = (logical: string) => physicalTopic({ topicPrefix: prefix }, logical);
    const dlqTopics = [...existing].filter((x) => x.endsWith('.dlq'));
    const wanted = [t(TOPICS.paymentRequested), t(TOPICS.paymentSucceeded), t(TOPICS.paymentFailed), ...dlqTopics].filter((x) => existing.has(x));
    // lag first: the read below must not be what the services are still waiting on
    const consumerLag = await readLag(admin, prefix, existing);
    const messages = await readToEnd(kafka, admin, wanted, prefix);
    const snapshot: KafkaSnapshot = { requested: [], outcomes: [], deadLetters: [], consumerLag };
    for (const r of messages) {
      if (r.topic === t(TOPICS.paymentRequested)) {
        const e = requestedOf(r);
        if (e) snapshot.requested.push(e);
      } else if (r.topic === t(TOPICS.paymentSucceeded) || r.topic === t(TOPICS.paymentFailed)) {
        const e = outcomeOf(r, r.topic === t(TOPICS.paymentSucceeded) ? 'succeeded' : 'failed');
        if (e) snapshot.outcomes.push(e);
      } else {
        const eventId = headerString(r.message.headers, CE_HEADERS.id);
        const reason = headerString(r.message.headers, DLQ_HEADERS.reason);
        snapshot.deadLetters.push({ topic: logicalTopic({ topicPrefix: prefix }, r.topic), position: position(r), ...(eventId ? { eventId } : {}), ...(reason ? { reason } : {}) });
      }
    }
    return snapshot;
  } finally {
    await admin.disconnect();
  }
}
