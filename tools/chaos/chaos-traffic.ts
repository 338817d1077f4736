/**
 * The chaos run's traffic: the demo's order mix at a steady rate, most orders as payment.requested.v1
 * events and some as POST /payments, refunds of a share of the successes, settlement runs now and then,
 * a few deliberately malformed events (their ce_ids are dead letters the auditor expects), and the
 * client faults (the same payment request to both replicas at once, the same order published twice).
 * Every HTTP call is retried with the same Idempotency-Key until it gets an answer (client-retry).
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { TOPICS } from '@paystream/contracts';
import { beijingDateTime } from '@paystream/shared/channel-protocols';
import { EventProducer, newEvent, physicalTopic, UPSTREAM_GROUP_PREFIX, type KafkaSettings, type OutgoingEvent } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { awaitRefundOutcomes, type DemoRefund } from '../load/demo-refunds';
import { currentDemoAuth } from '../load/demo-auth';
import { ensureDemoMerchants } from '../load/demo-merchants';
import { demoOrder, prepareShoppers, type DemoCards } from '../load/demo-shoppers';
import { refundAmount, refundOf } from '../load/refund-plan';
import { postWithRetry, type ClientAnswer } from './client-retry';

/** One order in this many goes as POST /payments instead of an event. */
export const HTTP_ORDER_EVERY = 10;
/** One order in this many is followed by a deliberately malformed event (a dead letter by design). */
export const MALFORMED_EVENT_EVERY = 97;
/** A success chosen for a refund is refunded this long after it was seen (settlement has booked it). */
const REFUND_DELAY_MS = 2_000;
/** How long a client keeps retrying one call. */
const CLIENT_RETRY_DEADLINE_MS = 90_000;
/** How often a settlement run is asked for while traffic flows. */
export const SETTLEMENT_RUN_INTERVAL_MS = 20_000;
/** The runs are as of this many days ahead, so the T+N merchants are paid during the run (needs SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED). */
const SETTLEMENT_RUN_AHEAD_DAYS = 14;
const DAY_MS = 86_400_000;
const SEND_TICK_MS = 50;
/** Pause before a batch the broker did not acknowledge is sent again. */
const PUBLISH_RETRY_MS = 500;
const MERCHANTS = 5;

export interface OrderRecord {
  orderId: string;
  index: number;
  via: 'kafka' | 'http';
  sentAtMs: number;
  outcome?: { kind: 'succeeded' | 'failed'; code?: string; atMs: number; paymentId?: string };
  /** The HTTP answer of an order sent by POST /payments (after retries). */
  httpStatus?: number;
}

export interface ClientFaultResult {
  kind: 'concurrent-idempotent-payment' | 'duplicate-order-event';
  orderId: string;
  /** What the client saw; a finding when the replicas disagree (two payments for one key). */
  answers: { status: number; paymentId?: string }[];
  finding?: string;
}

export class ChaosTraffic {
  readonly orders = new Map<string, OrderRecord>();
  readonly refunds: DemoRefund[] = [];
  readonly deliberateDeadLetterIds: string[] = [];
  readonly clientFaults: ClientFaultResult[] = [];
  readonly settlementRuns: { key: string; status: number; settlements: number }[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private producer: EventProducer;
  private consumer?: Consumer;
  private cards?: DemoCards;
  private sending = false;
  private disposed = false;
  private sent = 0;
  private startedAtMs = 0;
  private loop?: Promise<void>;
  /** The batches published one after another: a broker outage delays them, not the orders coming due. */
  private publishing: Promise<void> = Promise.resolve();
  private runTimer?: NodeJS.Timeout;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly runId: string,
    private readonly urls: { orderPayment: () => string[]; settlement: () => string[]; channelGateway: string; risk: string; merchant: string },
    private readonly ratePerSecond: number,
    private readonly expectedOrders: number,
  ) {
    this.producer = new EventProducer(kafka, settings);
  }

  /** Connects, follows the outcome topics from their beginning, and prepares the shoppers. */
  async prepare(): Promise<void> {
    await this.producer.connect();
    // a group of the upstream system's own (`upstream.*` under the topic prefix, the groups its principal may use)
    this.consumer = this.kafka.consumer({ groupId: physicalTopic(this.settings, `${UPSTREAM_GROUP_PREFIX}chaos-load.${this.runId}`), maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [TOPICS.paymentSucceeded, TOPICS.paymentFailed].map((t) => physicalTopic(this.settings, t)), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const value = JSON.parse(message.value?.toString('utf8') ?? '{}') as { orderId?: string; paymentId?: string; merchantId?: string; amountMinor?: string; reason?: { code: string } };
        const order = value.orderId ? this.orders.get(value.orderId) : undefined;
        if (!order || order.outcome) return;
        const kind = topic.endsWith(TOPICS.paymentSucceeded) ? 'succeeded' : 'failed';
        order.outcome = { kind, code: value.reason?.code, atMs: Date.now(), paymentId: value.paymentId };
        const refund = refundOf(order.index);
        if (kind === 'succeeded' && refund && this.sending && value.paymentId && value.merchantId && value.amountMinor) {
          const payment = { paymentId: value.paymentId, merchantId: value.merchantId, amountMinor: BigInt(value.amountMinor) };
          this.track(new Promise((r) => setTimeout(r, REFUND_DELAY_MS)).then(() => this.refund(order.index, refund, payment)));
        }
      },
    });
    // merchants are registered, never assumed: the demo's merchants are onboarded before the first order
    await ensureDemoMerchants({ merchant: this.urls.merchant, orderPayment: this.urls.orderPayment()[0]!, settlement: this.urls.settlement()[0]! }, MERCHANTS, () => undefined);
    // each signs with a key of its own, which every service must know before the first call (each merchant tokenises its shoppers' cards and registers their identities)
    const auth = currentDemoAuth();
    if (auth) {
      for (let m = 0; m < MERCHANTS; m++) await auth.waitUntilKnown(`merchant-${m}`, [`${this.urls.orderPayment()[0]!}/payments`, `${this.urls.channelGateway}/cards`, `${this.urls.risk}/identities`]);
    }
    this.cards = await prepareShoppers({ channelGateway: this.urls.channelGateway, risk: this.urls.risk }, this.runId, this.expectedOrders, MERCHANTS);
  }

  /** Starts sending orders at the rate, and settlement runs every SETTLEMENT_RUN_INTERVAL_MS. */
  start(): void {
    this.sending = true;
    this.startedAtMs = Date.now();
    this.loop = this.sendLoop();
    this.runTimer = setInterval(() => this.track(this.settlementRun()), SETTLEMENT_RUN_INTERVAL_MS);
  }

  /** Stops sending new orders and waits for the calls in flight (each bounded by its retry deadline). */
  async stop(): Promise<void> {
    this.sending = false;
    clearInterval(this.runTimer);
    await this.loop;
    await this.publishing;
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Orders requested (published, or answered 2xx over HTTP) with no outcome yet. */
  pending(): OrderRecord[] {
    return [...this.orders.values()].filter((o) => !o.outcome && (o.via === 'kafka' || (o.httpStatus !== undefined && o.httpStatus < 300)));
  }

  async awaitRefunds(timeoutMs: number): Promise<void> {
    await awaitRefundOutcomes(this.urls.orderPayment()[0]!, this.refunds, timeoutMs);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  /** The same POST /payments (same body, same Idempotency-Key) to both order-payment replicas at once. */
  async concurrentIdempotentPayment(): Promise<void> {
    const index = this.sent++;
    const payload = this.httpBody(index);
    const record: OrderRecord = { orderId: payload.orderId, index, via: 'http', sentAtMs: Date.now() };
    this.orders.set(payload.orderId, record);
    const key = `chaos-${this.runId}-${index}`;
    const answers = await Promise.all(this.urls.orderPayment().map((base) => postWithRetry(() => [base], '/payments', key, payload, CLIENT_RETRY_DEADLINE_MS)));
    record.httpStatus = Math.min(...answers.map((a) => a.status || 599));
    const ids = new Set(answers.filter((a) => a.status < 300).map((a) => paymentIdOf(a)));
    this.clientFaults.push({
      kind: 'concurrent-idempotent-payment',
      orderId: payload.orderId,
      answers: answers.map((a) => ({ status: a.status, paymentId: paymentIdOf(a) })),
      ...(ids.size > 1 ? { finding: `one Idempotency-Key, ${ids.size} payments: ${[...ids].join(', ')}` } : {}),
    });
  }

  /** An order already sent published again as a new event (a new ce_id): still one payment, its outcome re-emitted. */
  async duplicateOrderEvent(): Promise<void> {
    const kafkaOrders = [...this.orders.entries()].filter(([, o]) => o.via === 'kafka');
    if (!kafkaOrders.length) return;
    // a recent order, whose first event may still be in flight
    const [orderId, record] = kafkaOrders[Math.floor(kafkaOrders.length * 0.9)]!;
    const payload = { ...this.order(record.index), orderId };
    // in line with the other batches: the idempotent producer is not used by two sends at once
    const event = newEvent({ topic: TOPICS.paymentRequested, key: orderId, source: '/chaos/checkout', payload, traceparent: nextTraceparent() });
    this.publishing = this.publishing.then(() => this.publishUntilAcked([event]));
    await this.publishing;
    this.clientFaults.push({ kind: 'duplicate-order-event', orderId, answers: [] });
  }

  /** Asks for a settlement run as of a few days ahead (retried with its key); the last one is the run's final. */
  async settlementRun(): Promise<void> {
    const key = `chaos-${this.runId}-run-${this.settlementRuns.length}-${randomUUID().slice(0, 8)}`;
    const asOf = beijingDateTime(new Date(Date.now() + SETTLEMENT_RUN_AHEAD_DAYS * DAY_MS)).slice(0, 10);
    const answer = await postWithRetry(this.urls.settlement, '/settlement/runs', key, { asOf }, CLIENT_RETRY_DEADLINE_MS);
    this.settlementRuns.push({ key, status: answer.status, settlements: Array.isArray(answer.body.settlementIds) ? answer.body.settlementIds.length : 0 });
  }

  private order(index: number) {
    return demoOrder(index, { runId: this.runId, merchants: MERCHANTS, cards: this.cards!, orderIdPrefix: 'chaos' });
  }

  /** POST /payments takes the event's fields without its timestamp. */
  private httpBody(index: number) {
    const { requestedAt: _requestedAt, ...body } = this.order(index);
    return body;
  }

  private async sendLoop(): Promise<void> {
    while (this.sending) {
      const due = Math.floor(((Date.now() - this.startedAtMs) / 1000) * this.ratePerSecond) + 1;
      const batch: OutgoingEvent[] = [];
      for (; this.sent < due && this.sending; ) {
        const index = this.sent++;
        const payload = this.order(index);
        if (index % HTTP_ORDER_EVERY === HTTP_ORDER_EVERY - 1) {
          const body = this.httpBody(index);
          const record: OrderRecord = { orderId: payload.orderId, index, via: 'http', sentAtMs: Date.now() };
          this.orders.set(payload.orderId, record);
          this.track(
            postWithRetry(this.urls.orderPayment, '/payments', `chaos-${this.runId}-${index}`, body, CLIENT_RETRY_DEADLINE_MS).then((a: ClientAnswer) => {
              record.httpStatus = a.status;
            }),
          );
          continue;
        }
        this.orders.set(payload.orderId, { orderId: payload.orderId, index, via: 'kafka', sentAtMs: Date.now() });
        batch.push(newEvent({ topic: TOPICS.paymentRequested, key: payload.orderId, source: '/chaos/checkout', payload, traceparent: nextTraceparent() }));
        if (index % MALFORMED_EVENT_EVERY === MALFORMED_EVENT_EVERY - 1) batch.push(this.malformed(index));
      }
      // the producer retries without end while the broker is away: the batches wait in line meanwhile, in order
      if (batch.length) {
        this.publishing = this.publishing.then(() => this.publishUntilAcked(batch));
        // stop() awaits the line; this only keeps a line given up at dispose from being an unhandled rejection
        this.publishing.catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, SEND_TICK_MS));
    }
  }

  /**
   * Publishes until the broker acknowledged (a send gives up after a bounded time while a broker is
   * away); the same events again, with their ce_ids, as an upstream service's outbox would: a copy that
   * got through before is deduplicated by the consumers.
   */
  private async publishUntilAcked(events: OutgoingEvent[]): Promise<void> {
    for (;;) {
      try {
        await this.producer.publish(events);
        return;
      } catch (error) {
        if (this.disposed) throw error;
        await new Promise((r) => setTimeout(r, PUBLISH_RETRY_MS));
      }
    }
  }

  /** An event whose body fails payment.requested.v1's schema: order-payment dead-letters it. */
  private malformed(index: number) {
    const event = newEvent({ topic: TOPICS.paymentRequested, key: `chaos-malformed-${this.runId}-${index}`, source: '/chaos/checkout', payload: { orderId: `chaos-malformed-${this.runId}-${index}`, amountMinor: 'not-a-number' }, traceparent: nextTraceparent() });
    this.deliberateDeadLetterIds.push(event.id);
    return event;
  }

  private async refund(orderIndex: number, kind: 'full' | 'partial', p: { paymentId: string; merchantId: string; amountMinor: bigint }): Promise<void> {
    const amountMinor = refundAmount(kind, p.amountMinor);
    const r: DemoRefund = { orderIndex, kind, paymentId: p.paymentId, merchantId: p.merchantId, amountMinor, status: 'REQUESTED' };
    this.refunds.push(r);
    const answer = await postWithRetry(this.urls.orderPayment, `/payments/${p.paymentId}/refunds`, `chaos-refund-${this.runId}-${orderIndex}`, { amountMinor: amountMinor.toString(), reason: `chaos: ${kind} refund` }, CLIENT_RETRY_DEADLINE_MS, p.merchantId);
    if (answer.status === 200 || answer.status === 202) r.refundId = answer.body.refundId as string | undefined;
    else Object.assign(r, { status: 'REFUSED', reason: `HTTP ${answer.status} ${(answer.body.error as { code?: string } | undefined)?.code ?? ''}`.trim() });
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

function paymentIdOf(a: ClientAnswer): string | undefined {
  return (a.body.paymentId as string | undefined) ?? ((a.body.payment as { paymentId?: string } | undefined)?.paymentId);
}
