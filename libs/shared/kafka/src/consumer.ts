import type { Consumer, EachMessagePayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { CE_HEADERS, DLQ_HEADERS, checkEventPayload, dlqTopicOf, isStorableText, type TopicName, EVENT_SCHEMAS, UNSTORABLE_TEXT_MESSAGE } from '@paystream/contracts';
import { parseTraceparent, runInTrace, type Logger, type MessagingMetrics } from '@paystream/shared/observability';
import { headerString, type ConsumedEvent } from './envelope';
import { isTransientError, PermanentEventError } from './errors';
import type { EventProducer } from './producer';
import { logicalTopic, physicalTopic, type KafkaSettings } from './settings';

/** Attempts for an error that is neither known-transient nor permanent before the message is dead-lettered. */
export const UNCLASSIFIED_ERROR_ATTEMPTS_MAX = 5;
/** First retry delay; doubles per attempt up to RETRY_DELAY_MAX_MS. */
export const RETRY_DELAY_INITIAL_MS = 100;
export const RETRY_DELAY_MAX_MS = 5_000;
/** Partitions one consumer processes at the same time (each partition stays in order). */
export const PARTITIONS_CONSUMED_CONCURRENTLY = 3;
/**
 * How long a silent member keeps its partitions: a crashed instance's partitions move to the others
 * (or to its restarted self) after this. Handlers stay well below it (the longest, a channel call, is 3 s).
 */
export const CONSUMER_SESSION_TIMEOUT_MS = 10_000;
export const CONSUMER_HEARTBEAT_INTERVAL_MS = 1_000;
/**
 * The longest ce_id accepted (ours are UUIDs): a longer one is dead-lettered at decode, before it is
 * bound to every log line of its handling or fails the inbox insert five times over.
 */
export const CE_ID_LENGTH_MAX = 200;

export type EventHandler = (event: ConsumedEvent<unknown>) => Promise<void>;

export interface EventConsumerOptions {
  /** Logical consumer group; the topic prefix is applied on the broker. */
  groupId: string;
  /** Logical topic name -> handler. */
  handlers: ReadonlyMap<string, EventHandler>;
  settings: KafkaSettings;
  producer: EventProducer;
  logger: Logger;
  metrics: MessagingMetrics;
}

type Decoded = { ok: true; event: ConsumedEvent<unknown> } | { ok: false; reason: string };

/**
 * Consumes events with at-least-once delivery: the offset is committed only after the handler
 * resolved (handlers record the event id in their inbox in the same transaction as their effect).
 * Malformed or permanently failing messages go to `<topic>.dlq` with reason headers; transient
 * failures are retried with backoff and keep the partition where it is.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private stopping = false;
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly options: EventConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: physicalTopic(options.settings, options.groupId),
      sessionTimeout: CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: CONSUMER_HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    // exported at 0 from the start, so the first dead letter is an increase Prometheus can see
    for (const topic of options.handlers.keys()) options.metrics.deadLettered.inc({ group: options.groupId, topic }, 0);
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    const topics = [...this.options.handlers.keys()].map((t) => physicalTopic(this.options.settings, t));
    await this.consumer.subscribe({ topics, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.options.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachMessage: (payload) => this.onMessage(payload),
    });
    this.running = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    await this.consumer.disconnect();
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const logical = logicalTopic(this.options.settings, topic);
    let decoded: Decoded;
    try {
      decoded = this.decode(logical, partition, message);
    } catch (error) {
      // a decoder bug must not block the partition: dead-letter the message and say why
      decoded = { ok: false, reason: `could not decode: ${(error as Error).message}` };
    }
    if (!decoded.ok) {
      await this.deadLetter(topic, logical, partition, message, decoded.reason);
      return;
    }
    const handler = this.options.handlers.get(logical);
    if (!handler) throw new Error(`no handler for ${logical}`);
    const event = decoded.event;
    // the handler's logs, outbox rows and HTTP calls continue the trace the message carries
    await runInTrace(event.traceparent, () => this.handle(handler, event, topic, logical, partition, message, heartbeat));
  }

  private async handle(handler: EventHandler, event: ConsumedEvent<unknown>, topic: string, logical: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    const { groupId, metrics, logger } = this.options;
    const log = logger.child({ eventId: event.id, topic: logical, traceparent: event.traceparent });
    const timer = metrics.handlerSeconds.startTimer({ group: groupId, topic: logical });
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event);
        timer();
        return;
      } catch (error) {
        if (error instanceof PermanentEventError) {
          await this.deadLetter(topic, logical, partition, message, error.message);
          return;
        }
        const transient = isTransientError(error);
        if (!transient && attempt >= UNCLASSIFIED_ERROR_ATTEMPTS_MAX) {
          log.error({ err: error, attempt }, 'handler kept failing; dead-lettering');
          await this.deadLetter(topic, logical, partition, message, `handler failed ${attempt} times: ${(error as Error).message}`);
          return;
        }
        if (this.stopping) throw error; // leave the offset uncommitted; the next owner retries
        const delay = Math.min(RETRY_DELAY_INITIAL_MS * 2 ** (attempt - 1), RETRY_DELAY_MAX_MS);
        log.warn({ err: error, attempt, transient, delayMs: delay }, 'handler failed; retrying');
        await sleep(delay);
        await heartbeat();
      }
    }
  }

  private decode(logical: string, partition: number, message: KafkaMessage): Decoded {
    const id = headerString(message.headers, CE_HEADERS.id);
    if (!id) return { ok: false, reason: `missing ${CE_HEADERS.id} header` };
    if (id.length > CE_ID_LENGTH_MAX || /[\u0000-\u001f\u007f]/.test(id)) return { ok: false, reason: `${CE_HEADERS.id} header longer than ${CE_ID_LENGTH_MAX} characters or with control characters` };
    const source = headerString(message.headers, CE_HEADERS.source);
    const time = headerString(message.headers, CE_HEADERS.time);
    const key = message.key ? message.key.toString('utf8') : null;
    // handlers store these next to the event: text Postgres cannot store would fail every retry
    for (const [name, value] of [[CE_HEADERS.source, source], [CE_HEADERS.time, time], ['key', key]] as const) {
      if (value != null && !isStorableText(value)) return { ok: false, reason: `${name} ${UNSTORABLE_TEXT_MESSAGE}` };
    }
    const type = headerString(message.headers, CE_HEADERS.type) ?? logical;
    if (type !== logical) return { ok: false, reason: `${CE_HEADERS.type} ${type} does not match topic ${logical}` };
    if (!message.value) return { ok: false, reason: 'empty message value' };
    let body: unknown;
    try {
      body = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
    }
    if (!(logical in EVENT_SCHEMAS)) return { ok: false, reason: `no schema for topic ${logical}` };
    const check = checkEventPayload(logical as TopicName, body);
    if (!check.ok) return { ok: false, reason: check.reason };
    return {
      ok: true,
      event: {
        id,
        topic: logical,
        type,
        source: source ?? 'unknown',
        time: time ?? new Date(Number(message.timestamp)).toISOString(),
        key,
        // only a valid one: a malformed header must not reach logs, stored rows or the events sent on
        ...validTraceparent(headerString(message.headers, CE_HEADERS.traceparent)),
        partition,
        offset: message.offset,
        payload: check.value,
      },
    };
  }

  private async deadLetter(topic: string, logical: string, partition: number, message: KafkaMessage, reason: string): Promise<void> {
    const { groupId, metrics, logger, producer, settings } = this.options;
    const headers: IHeaders = {
      ...(message.headers ?? {}),
      [DLQ_HEADERS.reason]: reason.slice(0, 2_000),
      [DLQ_HEADERS.consumer]: groupId,
      [DLQ_HEADERS.at]: new Date().toISOString(),
      [DLQ_HEADERS.originalTopic]: logical,
      [DLQ_HEADERS.originalPartition]: String(partition),
      [DLQ_HEADERS.originalOffset]: message.offset,
    };
    await producer.publishRaw(physicalTopic(settings, dlqTopicOf(logical)), [{ key: message.key, value: message.value, headers }]);
    metrics.deadLettered.inc({ group: groupId, topic: logical });
    metrics.consumed.inc({ group: groupId, topic: logical, result: 'dead_lettered' });
    logger.warn({ topic: logical, originalTopic: topic, partition, offset: message.offset, reason }, 'message dead-lettered');
  }
}

function validTraceparent(header: string | undefined): { traceparent?: string } {
  return header !== undefined && parseTraceparent(header) ? { traceparent: header.trim() } : {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
