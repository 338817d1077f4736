import { CompressionTypes, Partitioners, type Kafka, type Message, type PartitionerArgs, type Producer, type RecordMetadata } from 'kafkajs';
import { eventHeaders, type OutgoingEvent } from './envelope';
import { physicalTopic, type KafkaSettings } from './settings';

/** Retries kafkajs makes within one send before it gives up (the caller tries again later). */
export const PRODUCER_SEND_RETRIES_MAX = 5;
/** First pause between kafkajs retries of a send; doubles up to PRODUCER_RETRY_DELAY_MAX_MS. */
export const PRODUCER_RETRY_DELAY_INITIAL_MS = 200;
export const PRODUCER_RETRY_DELAY_MAX_MS = 2_000;
/**
 * Wall-clock bound of one send, reconnecting included: kafkajs nests the client's connect retries
 * inside the send retries, so the retry count alone does not bound the time a dead broker costs.
 */
export const PRODUCER_SEND_TIMEOUT_MS = 8_000;
/** How long disconnect waits for the broker before it lets the connections go. */
export const PRODUCER_DISCONNECT_TIMEOUT_MS = 2_000;

/** Why a send was given up by this class rather than by kafkajs. */
export class ProducerSendAbortedError extends Error {
  constructor(readonly reason: 'timeout' | 'aborted') {
    super(reason === 'timeout' ? `publish gave up after ${PRODUCER_SEND_TIMEOUT_MS} ms` : 'publish aborted');
    this.name = 'ProducerSendAbortedError';
  }
}

/**
 * A send that kafkajs resolved without an acknowledgement for every partition it was given. kafkajs
 * 2.2.4 (producer/sendMessages.js) keeps the responses of a send's brokers across its retries and only
 * sends again to brokers without one: when a partition's leader moved (a paused or killed broker lost
 * it, or got it back) to a broker that had already answered for other partitions, that partition's
 * messages are never sent again and the send still resolves. Seen with three brokers as published
 * events missing from their topic; upstream: tulios/kafkajs pull request 1798 (open).
 */
export class ProducerSendIncompleteError extends Error {
  constructor(readonly unacknowledged: readonly string[]) {
    super(`the broker acknowledged no write for ${unacknowledged.join(', ')}; the send is failed so the caller sends again`);
    this.name = 'ProducerSendIncompleteError';
  }
}

/** The `topic/partition`s of `placed` that no acknowledgement without an error covers. */
export function unacknowledgedPartitions(placed: readonly { topic: string; partition: number }[], acknowledged: readonly RecordMetadata[]): string[] {
  const acked = new Set(acknowledged.filter((r) => r.errorCode === 0).map((r) => `${r.topicName}/${r.partition}`));
  return [...new Set(placed.map((p) => `${p.topic}/${p.partition}`))].filter((tp) => !acked.has(tp)).sort();
}

/** Options of one send. */
export interface SendOptions {
  /** Aborting gives the send up at once (e.g. at shutdown); what it sent may still reach the broker. */
  signal?: AbortSignal;
}

/** One kafkajs producer (one idempotent producer id) and the sends running on it. */
interface Session {
  producer: Producer;
  connecting: Promise<void> | undefined;
  inFlight: Set<Promise<unknown>>;
}

/**
 * An idempotent producer (acks=all, one request in flight) for CloudEvents-framed JSON events.
 *
 * Sends are bounded (PRODUCER_SEND_RETRIES_MAX, PRODUCER_SEND_TIMEOUT_MS) so a broker outage fails a
 * send instead of holding its caller forever. Within one send kafkajs retries with the same producer
 * id and sequence numbers, so the broker drops its duplicates and keeps the order. A send that failed
 * may still have been written, and the broker would then reject the next sequence numbers
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, not retriable): after any failure the producer is therefore replaced
 * by a new one with a new producer id. Re-sending then can duplicate messages, never reorder them
 * (a caller re-sends from the first unacknowledged message); consumers deduplicate by ce_id.
 */
export class EventProducer {
  private session: Session | undefined;
  private closed = true;
  /** The partition kafkajs' partitioner chose for each message being sent (the message objects are ours). */
  private readonly placed = new WeakMap<Message, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
  ) {}

  /** Connects now (so a service refuses to start without a broker); sends also connect on demand. */
  async connect(): Promise<void> {
    this.closed = false;
    await this.connectSession(this.currentSession());
  }

  /** Gives up sends in flight and closes the connections, within PRODUCER_DISCONNECT_TIMEOUT_MS. */
  async disconnect(): Promise<void> {
    this.closed = true;
    const session = this.session;
    if (session) await this.discard(session);
  }

  /** Publishes events in order per topic; resolves once the broker has acknowledged all of them. */
  async publish(events: readonly OutgoingEvent[], options: SendOptions = {}): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const e of events) {
      const topic = physicalTopic(this.settings, e.topic);
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: e.key, value: JSON.stringify(e.payload), headers: eventHeaders(e) });
      byTopic.set(topic, messages);
    }
    await this.send(options, async (p) =>
      this.checkAcknowledged(
        byTopic,
        await p.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        }),
      ),
    );
  }

  /** Publishes raw messages (already framed), e.g. to a dead-letter topic or when replaying. */
  async publishRaw(physicalTopicName: string, messages: Message[], options: SendOptions = {}): Promise<void> {
    const own = messages.map((m) => ({ ...m })); // our own objects, so the partitioner's choice is ours to look up
    await this.send(options, async (p) => this.checkAcknowledged(new Map([[physicalTopicName, own]]), await p.send({ topic: physicalTopicName, acks: -1, messages: own })));
  }

  /** Fails a send that kafkajs resolved without acknowledging every partition (ProducerSendIncompleteError). */
  private checkAcknowledged(byTopic: ReadonlyMap<string, readonly Message[]>, acknowledged: RecordMetadata[]): void {
    const placed = [...byTopic].flatMap(([topic, messages]) => messages.map((m) => ({ topic, partition: this.placed.get(m) ?? -1 })));
    const missing = unacknowledgedPartitions(placed, acknowledged);
    if (missing.length > 0) throw new ProducerSendIncompleteError(missing);
  }

  private createProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // kafkajs' own partitioner, remembering its choice for checkAcknowledged
      createPartitioner: () => {
        const choose = Partitioners.DefaultPartitioner();
        return (args: PartitionerArgs) => {
          const partition = choose(args);
          this.placed.set(args.message, partition);
          return partition;
        };
      },
      allowAutoTopicCreation: false,
      // bounded: kafkajs warns that this "may invalidate EoS guarantees"; see the class comment for why it does not here
      retry: { retries: PRODUCER_SEND_RETRIES_MAX, initialRetryTime: PRODUCER_RETRY_DELAY_INITIAL_MS, maxRetryTime: PRODUCER_RETRY_DELAY_MAX_MS },
    });
  }

  private currentSession(): Session {
    this.session ??= { producer: this.createProducer(), connecting: undefined, inFlight: new Set() };
    return this.session;
  }

  private connectSession(session: Session): Promise<void> {
    session.connecting ??= session.producer.connect().catch((error: unknown) => {
      session.connecting = undefined;
      throw error;
    });
    return session.connecting;
  }

  private async send(options: SendOptions, op: (producer: Producer) => Promise<unknown>): Promise<void> {
    if (this.closed) throw new Error('the producer is disconnected');
    options.signal?.throwIfAborted();
    const session = this.currentSession();
    const attempt = this.connectSession(session).then(() => op(session.producer));
    session.inFlight.add(attempt);
    const settled = () => session.inFlight.delete(attempt);
    attempt.then(settled, settled);
    try {
      await bounded(attempt, PRODUCER_SEND_TIMEOUT_MS, options.signal);
    } catch (error) {
      void this.discard(session);
      throw error;
    }
  }

  /**
   * Retires a session: later sends get a new producer. kafkajs cannot cancel a send, and a send still
   * retrying reconnects after a disconnect, so the session is disconnected now (bounded) and once more
   * when its abandoned sends have run out of retries.
   */
  private async discard(session: Session): Promise<void> {
    if (this.session === session) this.session = undefined;
    const abandoned = [...session.inFlight];
    const disconnect = () => session.producer.disconnect().catch(() => undefined);
    if (abandoned.length > 0) void Promise.allSettled(abandoned).then(disconnect);
    await bounded(disconnect(), PRODUCER_DISCONNECT_TIMEOUT_MS).catch(() => undefined);
  }
}

/** Settles with work, or rejects once timeoutMs passed or signal aborted (work keeps running). */
function bounded<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(new ProducerSendAbortedError('aborted')));
    const timer = setTimeout(() => finish(() => reject(new ProducerSendAbortedError('timeout'))), timeoutMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
