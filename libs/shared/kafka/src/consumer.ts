import type { Consumer, EachMessagePayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { CE_HEADERS, DLQ_HEADERS, checkEventPayload, dlqTopicOf, isStorableText, type TopicName, EVENT_SCHEMAS, sourceRefusal, UNSTORABLE_TEXT_MESSAGE } from '@paystream/contracts';
import { parseTraceparent, runInTrace, type Logger, type MessagingMetrics } from '@paystream/shared/observability';
import { headerString, type ConsumedEvent } from './envelope';
import { PermanentEventError, transientCause } from './errors';
import type { EventProducer } from './producer';
import { RestartBudget } from './restart-budget';
import { logicalTopic, physicalTopic, type KafkaSettings } from './settings';
import { retryWhileTopicMetadataPropagates } from './topic-metadata-wait';

/**
 * Failures with an error that is neither transient (errors.ts) nor permanent before the message is
 * dead-lettered. Transient failures do not count: a database restart in between must not use them up.
 */
export const UNCLASSIFIED_ERROR_ATTEMPTS_MAX = 5;
/** First retry delay; doubles per attempt up to RETRY_DELAY_MAX_MS. Transient errors retry without limit at that pace. */
export const RETRY_DELAY_INITIAL_MS = 100;
export const RETRY_DELAY_MAX_MS = 5_000;
/** Consecutive failures of one message after which each retry is logged as an error (someone should look), not a warning. */
export const RETRY_ATTEMPTS_BEFORE_ERROR_LOG = 10;
/** Restarts kafkajs may make of a crashed run loop within CONSUMER_RESTART_WINDOW_MS before the consumer gives up. */
export const CONSUMER_RESTARTS_MAX = 3;
export const CONSUMER_RESTART_WINDOW_MS = 5 * 60_000;
/** kafkajs' own retries of a failing fetch / eachMessage before it crashes the run loop (its default for consumers). */
export const CONSUMER_RUN_RETRIES_MAX = 5;
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
  /**
   * Called once when the run loop is dead for good (kafkajs crashed without restarting, or crashed
   * more than CONSUMER_RESTARTS_MAX times in CONSUMER_RESTART_WINDOW_MS), after the consumer stopped.
   * A service exits here so its supervisor starts a fresh process.
   */
  onFatal?: (error: Error) => void;
  /** The clock of the restart budget (tests). */
  nowMs?: () => number;
  /** Back-off step while subscribed topics' metadata propagates (tests; TOPIC_METADATA_BACKOFF_MS). */
  topicMetadataBackoffMs?: number;
}

/** Where the consumer's run loop is; only `running` is healthy. */
export type ConsumerState = 'created' | 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

type Decoded = { ok: true; event: ConsumedEvent<unknown> } | { ok: false; reason: string };

/**
 * Consumes events with at-least-once delivery: the offset is committed only after the handler
 * resolved (handlers record the event id in their inbox in the same transaction as their effect).
 * Malformed or permanently failing messages go to `<topic>.dlq` with reason headers; transient
 * failures are retried with backoff and keep the partition where it is.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly restartBudget = new RestartBudget(CONSUMER_RESTARTS_MAX, CONSUMER_RESTART_WINDOW_MS);
  private stopping = false;
  private state: ConsumerState = 'created';
  private lastError: string | undefined;
  private wakeOnStop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.wakeOnStop = resolve));

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
      // asked before kafkajs restarts a crashed run loop: a loop that keeps crashing is given up
      retry: { retries: CONSUMER_RUN_RETRIES_MAX, restartOnFailure: async () => this.restartBudget.allowRestart((options.nowMs ?? Date.now)()) },
    });
    // exported at 0 from the start, so the first dead letter is an increase Prometheus can see
    for (const topic of options.handlers.keys()) options.metrics.deadLettered.inc({ group: options.groupId, topic }, 0);
  }

  /** True only while the run loop is consuming: false once it crashed, stopped or gave up. */
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** The run loop's state and the last crash, for /health. */
  status(): { state: ConsumerState; lastError?: string } {
    return { state: this.state, ...(this.lastError !== undefined ? { lastError: this.lastError } : {}) };
  }

  async start(): Promise<void> {
    this.state = 'starting';
    this.watchRunLoop();
    await this.consumer.connect();
    const topics = [...this.options.handlers.keys()].map((t) => physicalTopic(this.options.settings, t));
    // topics created a moment ago may not have reached the broker kafkajs asks: wait, don't exit
    await retryWhileTopicMetadataPropagates(() => this.consumer.subscribe({ topics, fromBeginning: true }), {
      onRetry: (error, attempt) => this.options.logger.warn({ err: error, attempt }, 'topic metadata not on every broker yet; subscribing again'),
      ...(this.options.topicMetadataBackoffMs !== undefined ? { backoffMs: this.options.topicMetadataBackoffMs } : {}),
    });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachMessage: (payload) => this.onMessage(payload),
    });
    // run() resolves once the group is joined, unless the loop crashed on the way
    if (this.state === 'starting') this.state = 'running';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeOnStop();
    if (this.state !== 'failed') this.state = 'stopped';
    await this.consumer.disconnect();
  }

  /**
   * Follows kafkajs' instrumentation events: a crash, stop or disconnect we did not ask for makes the
   * consumer unhealthy at once; a crash kafkajs does not restart from (or one too many) is fatal.
   */
  private watchRunLoop(): void {
    const { events } = this.consumer;
    const log = this.options.logger;
    this.consumer.on(events.GROUP_JOIN, () => {
      if (this.stopping || this.state === 'failed') return;
      if (this.state !== 'running') log.info({ previous: this.state }, 'consumer joined its group');
      this.state = 'running';
    });
    for (const event of [events.STOP, events.DISCONNECT]) {
      this.consumer.on(event, () => {
        if (this.stopping || this.state === 'failed') return;
        // kafkajs stops and disconnects a crashed run loop before it reports the crash
        log.warn({ event }, 'consumer stopped without being asked');
        this.state = 'stopped';
      });
    }
    this.consumer.on(events.CRASH, ({ payload }) => {
      const error = payload.error instanceof Error ? payload.error : new Error(String(payload.error));
      this.lastError = error.message;
      if (this.stopping) {
        log.warn({ err: error }, 'consumer crashed while stopping');
        return;
      }
      if (payload.restart) {
        log.error({ err: error, restart: true }, 'consumer crashed; kafkajs restarts it');
        this.state = 'restarting';
        return;
      }
      log.fatal({ err: error, restart: false }, 'consumer crashed and will not restart');
      this.state = 'failed';
      // stop what is left of it, then hand over to whoever can restart the process
      void this.stop()
        .catch((e: unknown) => log.warn({ err: e }, 'consumer stop after crash failed'))
        .finally(() => this.options.onFatal?.(error));
    });
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
    let unclassifiedFailures = 0;
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
        // transient: retried without limit (a database restart delays the event, never dead-letters it)
        const transient = transientCause(error);
        if (transient === undefined) unclassifiedFailures++;
        if (transient === undefined && unclassifiedFailures >= UNCLASSIFIED_ERROR_ATTEMPTS_MAX) {
          log.error({ err: error, attempt, unclassifiedFailures }, 'handler kept failing; dead-lettering');
          await this.deadLetter(topic, logical, partition, message, `handler failed ${unclassifiedFailures} times: ${(error as Error).message}`);
          return;
        }
        // leave the offset uncommitted: this partition's next owner (or our restart) retries it
        if (this.stopping) throw new ConsumerStoppingError(error);
        const delayMs = Math.min(RETRY_DELAY_INITIAL_MS * 2 ** Math.min(attempt - 1, 30), RETRY_DELAY_MAX_MS);
        const fields = { err: error, attempt, transient: transient ?? false, unclassifiedFailures, delayMs };
        if (attempt >= RETRY_ATTEMPTS_BEFORE_ERROR_LOG) log.error(fields, 'handler still failing; retrying');
        else log.warn(fields, 'handler failed; retrying');
        await this.waitHeartbeating(delayMs, heartbeat);
        if (this.stopping) throw new ConsumerStoppingError(error);
      }
    }
  }

  /** Waits delayMs, heartbeating so the group keeps this member's partitions, and wakes when stopping. */
  private async waitHeartbeating(delayMs: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + delayMs;
    for (let left = delayMs; left > 0 && !this.stopping; left = until - Date.now()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(left, CONSUMER_HEARTBEAT_INTERVAL_MS))))]);
      clearTimeout(timer);
      if (!this.stopping) await heartbeat();
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
    // only the topic's producer (TOPIC_PRODUCERS) emits it: a header is no proof alone (the broker's ACLs are), but a mislabelled event is refused
    const notItsProducer = sourceRefusal(logical as TopicName, source);
    if (notItsProducer) return { ok: false, reason: notItsProducer };
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

/**
 * Thrown out of eachMessage when the consumer stops while a message is still failing, so kafkajs
 * does not commit its offset. Retriable for kafkajs: it must not count as a crash.
 */
class ConsumerStoppingError extends Error {
  readonly retriable = true;
  constructor(cause: unknown) {
    super(`consumer stopping; message left uncommitted after: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ConsumerStoppingError';
  }
}
