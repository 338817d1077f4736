import type { Admin, Kafka } from 'kafkajs';
import type { DataSource, MixedList } from 'typeorm';
import type { EventPayload, TopicName } from '@paystream/contracts';
import {
  ConsumerLagMonitor,
  createKafka,
  ensureTopics,
  EventConsumer,
  EventProducer,
  type ConsumedEvent,
  type EventHandler,
} from '@paystream/shared/kafka';
import { createLogger, createMetricsRegistry, MessagingMetrics, type Logger, type Registry } from '@paystream/shared/observability';
import { Inbox, InboxJanitor, Outbox, OUTBOX_INBOX_MIGRATIONS, outboxNotifyChannel, OutboxRelay, transactionalHandler } from '@paystream/shared/outbox';
import { openDatabase, type EntityManager } from '@paystream/shared/persistence';
import { AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { AUTH_MIGRATIONS, AuthGuard, AuthMetrics, CredentialCopy, NonceJanitor, NonceStore, RequestRateLimits } from '@paystream/shared/auth';
import { PAYSTREAM_SOURCE_PREFIX, TOPIC_PRODUCERS, TOPICS } from '@paystream/contracts';
import type { PlatformConfig } from './config';
import { IdempotentRequestJanitor } from './idempotent-request-janitor';
import { IDEMPOTENT_REQUEST_MIGRATIONS } from './idempotent-request.migration';

export interface PlatformOptions {
  config: PlatformConfig;
  /** The service's own migrations; the outbox/inbox tables, the audit log and the auth tables (and their later changes) are added first. */
  migrations: MixedList<Function>;
  entities?: MixedList<Function>;
  /** Logical topics the service emits to (created at start-up with their DLQ twins). */
  producesTopics: readonly TopicName[];
}

export interface ConsumeOptions<T extends TopicName, Prepared> {
  prepare?: (event: ConsumedEvent<EventPayload<T>>) => Promise<Prepared>;
  handle: (event: ConsumedEvent<EventPayload<T>>, tx: EntityManager, prepared: Prepared) => Promise<void>;
}

/** Database, Kafka, outbox, inbox, metrics and logging for one service, started and stopped together. */
export class Platform {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly messagingMetrics: MessagingMetrics;
  readonly outbox: Outbox;
  readonly inbox = new Inbox();
  readonly groupId: string;
  /** This service's copy of the credentials (fed by the credential.* topics). */
  readonly credentials: CredentialCopy;
  /** Nonces of signed requests, shared by the service's replicas. */
  readonly nonces: NonceStore;
  readonly authMetrics: AuthMetrics;
  /** This process's rate limits per client address and per credential (in memory: each replica its own). */
  readonly rateLimits: RequestRateLimits;
  private nonceJanitor: NonceJanitor | undefined;
  private readonly handlers = new Map<string, EventHandler>();
  private readonly healthSections = new Map<string, () => unknown>();
  private consumer: EventConsumer | undefined;
  /** The admin connection readiness() probes the broker with (opened on first use, closed by stop). */
  private healthAdmin: Admin | undefined;
  private lagMonitor: ConsumerLagMonitor | undefined;
  private relay: OutboxRelay | undefined;
  private inboxJanitor: InboxJanitor | undefined;
  private idempotentRequestJanitor: IdempotentRequestJanitor | undefined;
  private started = false;
  private consumerFatal: (error: Error) => void = (error) => this.logger.fatal({ err: error }, 'consumer is dead and nothing restarts it');

  private constructor(
    readonly config: PlatformConfig,
    readonly ds: DataSource,
    readonly kafka: Kafka,
    readonly producer: EventProducer,
    private readonly options: PlatformOptions,
    logger: Logger,
  ) {
    this.logger = logger;
    this.registry = createMetricsRegistry(config.service);
    this.messagingMetrics = new MessagingMetrics(this.registry);
    this.outbox = new Outbox(`${PAYSTREAM_SOURCE_PREFIX}${config.service}`, outboxNotifyChannel(config.dbSchema));
    this.groupId = `paystream.${config.service}`;
    this.credentials = new CredentialCopy(ds);
    this.nonces = new NonceStore(ds);
    this.authMetrics = new AuthMetrics(this.registry);
    this.rateLimits = new RequestRateLimits(config.rateLimits, this.registry);
    // every service keeps its own copy of who may call it
    this.consume(TOPICS.credentialIssued, { handle: (event, tx) => this.credentials.applyIssued(tx, event.payload) });
    this.consume(TOPICS.credentialRevoked, { handle: (event, tx) => this.credentials.applyRevoked(tx, event.payload) });
  }

  /** The global guard: who may call each route (deny by default), from this service's credential copy and nonces. */
  authGuard(now: () => Date = () => new Date()): AuthGuard {
    return new AuthGuard(
      { pepper: this.config.credentialPepper, moneyMode: this.config.moneyMode, credentials: this.credentials, nonces: this.nonces, now, rateLimits: this.rateLimits },
      this.authMetrics,
    );
  }

  /** Connects to Postgres (running migrations) and Kafka (creating topics). */
  static async open(options: PlatformOptions): Promise<Platform> {
    const { config } = options;
    const foreign = options.producesTopics.filter((topic) => TOPIC_PRODUCERS[topic] !== `${PAYSTREAM_SOURCE_PREFIX}${config.service}`);
    if (foreign.length > 0) throw new Error(`${config.service} does not produce ${foreign.join(', ')}: TOPIC_PRODUCERS (libs/contracts) names each topic's producer`);
    const logger = createLogger(config.service, config.logLevel);
    const ds = await openDatabase({
      url: config.databaseUrl,
      migrationUrl: config.migrationDatabaseUrl,
      schema: config.dbSchema,
      migrations: [...OUTBOX_INBOX_MIGRATIONS, ...AUDIT_LOG_MIGRATIONS, ...AUTH_MIGRATIONS, ...IDEMPOTENT_REQUEST_MIGRATIONS, ...(options.migrations as Function[])],
      entities: options.entities,
      applicationName: `paystream-${config.service}`,
      timeouts: config.database.timeouts,
      connectTimeoutMs: config.database.connectTimeoutMs,
      onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost; the next query opens another'),
    });
    const kafka = createKafka(config.kafka, logger);
    await ensureTopics(kafka, config.kafka, options.producesTopics);
    const producer = new EventProducer(kafka, config.kafka);
    await producer.connect();
    logger.info({ schema: config.dbSchema, brokers: config.kafka.brokers, topicPrefix: config.kafka.topicPrefix }, 'platform connected');
    return new Platform(config, ds, kafka, producer, options, logger);
  }

  /** Registers the handler for a topic; its effect and the inbox mark commit in one transaction. */
  consume<T extends TopicName, Prepared = undefined>(topic: T, options: ConsumeOptions<T, Prepared>): void {
    if (this.started) throw new Error('register consumers before the platform starts');
    if (this.handlers.has(topic)) throw new Error(`a handler for ${topic} is registered already`);
    this.handlers.set(
      topic,
      transactionalHandler<EventPayload<T>, Prepared>({
        ds: this.ds,
        inbox: this.inbox,
        group: this.groupId,
        metrics: this.messagingMetrics,
        prepare: options.prepare,
        handle: options.handle,
      }),
    );
  }

  /** Starts the outbox relay, the inbox and idempotent-request janitors, the consumer and the lag monitor. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.relay = new OutboxRelay(this.ds, this.producer, this.messagingMetrics, this.logger.child({ component: 'outbox-relay' }), outboxNotifyChannel(this.config.dbSchema));
    this.relay.start();
    this.inboxJanitor = new InboxJanitor(this.ds, this.logger.child({ component: 'inbox-janitor' }));
    this.inboxJanitor.start();
    this.idempotentRequestJanitor = new IdempotentRequestJanitor(this.ds, this.logger.child({ component: 'idempotent-request-janitor' }));
    this.idempotentRequestJanitor.start();
    this.nonceJanitor = new NonceJanitor(this.nonces, this.logger.child({ component: 'nonce-janitor' }));
    this.nonceJanitor.start();
    if (this.handlers.size > 0) {
      const topics = [...this.handlers.keys()];
      await ensureTopics(this.kafka, this.config.kafka, topics);
      this.consumer = new EventConsumer(this.kafka, {
        groupId: this.groupId,
        handlers: this.handlers,
        settings: this.config.kafka,
        producer: this.producer,
        logger: this.logger.child({ component: 'consumer' }),
        metrics: this.messagingMetrics,
        onFatal: (error) => this.consumerFatal(error),
      });
      await this.consumer.start();
      this.lagMonitor = new ConsumerLagMonitor(this.kafka, this.config.kafka, this.groupId, topics, this.messagingMetrics, this.logger);
      await this.lagMonitor.start();
    }
    this.logger.info({ consumes: [...this.handlers.keys()], produces: this.options.producesTopics }, 'platform started');
  }

  /**
   * Stops consuming first, then the relay (which may finish its batch), then closes connections.
   * Every step is bounded, so a SIGTERM'd service exits also while the broker is down.
   */
  async stop(): Promise<void> {
    await this.stopStep('consumer', async () => this.consumer?.stop());
    await this.stopStep('lag monitor', async () => this.lagMonitor?.stop());
    await this.stopStep('outbox relay', async () => this.relay?.stop()); // itself within OUTBOX_SHUTDOWN_GRACE_MS
    await this.stopStep('inbox janitor', async () => this.inboxJanitor?.stop());
    await this.stopStep('idempotent-request janitor', async () => this.idempotentRequestJanitor?.stop());
    await this.stopStep('nonce janitor', async () => this.nonceJanitor?.stop());
    await this.stopStep('producer', () => this.producer.disconnect()); // itself within PRODUCER_DISCONNECT_TIMEOUT_MS
    await this.stopStep('health admin', async () => this.healthAdmin?.disconnect());
    await this.stopStep('database', async () => {
      if (this.ds.isInitialized) await this.ds.destroy();
    });
    this.logger.info('platform stopped');
  }

  private async stopStep(step: string, stop: () => Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not stop within ${PLATFORM_STOP_STEP_TIMEOUT_MS} ms; going on`)), PLATFORM_STOP_STEP_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn({ err: error, step }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Readiness of the database, Kafka and the consumer. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }> {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    checks.database = await probe(() => this.ds.query('SELECT 1'));
    checks.kafka = await probe(async () => {
      // one admin connection, kept between calls: a login per /health call (TLS handshake + SCRAM) cost the
      // broker and the service several ms of CPU each; a failed probe drops it and the next one logs in again
      this.healthAdmin ??= this.kafka.admin();
      try {
        await this.healthAdmin.connect();
        await this.healthAdmin.describeCluster();
      } catch (error) {
        const broken = this.healthAdmin;
        this.healthAdmin = undefined;
        await broken.disconnect().catch(() => undefined);
        throw error;
      }
    });
    if (this.handlers.size > 0) checks.consumer = this.consumerCheck();
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  /**
   * What to do once the consumer's run loop is dead for good (it already stopped): the service's
   * bootstrap closes the app and exits non-zero so its supervisor starts a fresh process.
   */
  onConsumerFatal(listener: (error: Error) => void): void {
    this.consumerFatal = listener;
  }

  private consumerCheck(): { ok: boolean; detail?: string } {
    if (!this.consumer) return { ok: false, detail: 'not started' };
    if (this.consumer.isRunning) return { ok: true };
    const { state, lastError } = this.consumer.status();
    return { ok: false, detail: lastError ? `${state}: ${lastError}` : state };
  }

  /** Adds a section to /health (informational, e.g. breaker states: it does not change readiness). */
  describeHealth(name: string, section: () => unknown): void {
    this.healthSections.set(name, section);
  }

  /** The informational sections of /health. */
  healthDetails(): Record<string, unknown> {
    return Object.fromEntries([...this.healthSections].map(([name, section]) => [name, section()]));
  }

  /** The last lag measurement of this service's consumer group. */
  lag() {
    return this.lagMonitor?.snapshot() ?? [];
  }
}

/**
 * The longest one shutdown step (consumer, lag monitor, relay, producer, database) may take before
 * shutdown goes on without it: a SIGTERM'd service exits within five of these.
 */
export const PLATFORM_STOP_STEP_TIMEOUT_MS = 10_000;

/** How long a readiness probe may take before it counts as failed. */
export const READINESS_PROBE_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${READINESS_PROBE_TIMEOUT_MS} ms`)), READINESS_PROBE_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
