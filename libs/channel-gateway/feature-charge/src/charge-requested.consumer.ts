import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { failureReason, TOPICS, type Channel, type ChannelChargeRequested, type FailureReason } from '@paystream/contracts';
import { CardTokenRepository, ChannelTransactionRepository, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import { chargeRequestMismatch, chargeResultOf, DEFAULT_CHANNEL, queryResultOf, routeCharge, type ChargeResult, type ReportSource } from '@paystream/channel-gateway/domain';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { ChannelBreakers } from './channel-breakers';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { ChargeOutcomeRecorder } from './charge-outcome.recorder';
import { chargeCompletedEvent } from './completed-event';

/** A final outcome already stored, a charge no channel could take, or what the channel said now. */
type Prepared =
  | { kind: 'reuse'; transaction: ChannelTransaction }
  | { kind: 'not-sent'; channel: Channel; routingReasons: string[]; failure: FailureReason }
  | { kind: 'answered'; result: ChargeResult; source: ReportSource };

/**
 * channel.charge-requested.v1 -> a charge at the channel -> channel.charge-completed.v1.
 * The attempt is stored (UNKNOWN) before the channel is called, so a notification that outruns the
 * answer finds it and a crash mid-call leaves it to the janitor; the call itself happens outside
 * any database transaction. A request for a charge whose outcome is unknown is never charged
 * again: the channel is asked (queried) instead.
 */
@Injectable()
export class ChargeRequestedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(CardTokenRepository) private readonly cards: CardTokenRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
    @Inject(ChannelBreakers) private readonly breakers: ChannelBreakers,
    @Inject(ChargeOutcomeRecorder) private readonly outcomes: ChargeOutcomeRecorder,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {}

  onModuleInit(): void {
    this.platform.consume<typeof TOPICS.channelChargeRequested, Prepared>(TOPICS.channelChargeRequested, {
      prepare: (event) => this.prepare(event.payload),
      handle: async (event, tx, prepared) => {
        const c = event.payload;
        let transaction: ChannelTransaction;
        let emit = true;
        if (prepared.kind === 'reuse') transaction = prepared.transaction;
        else if (prepared.kind === 'not-sent') {
          const recorded = await this.transactions.recordNotSent(tx, { ...this.fieldsOf(c), channel: prepared.channel, routingReasons: prepared.routingReasons }, prepared.failure);
          transaction = recorded.transaction;
          if (recorded.created) afterCommit(tx, () => this.metrics.charges.inc({ channel: prepared.channel, outcome: 'failed' }));
        } else {
          const applied = await this.outcomes.apply(tx, c.paymentId, prepared.result, prepared.source, event.traceparent);
          transaction = applied.transaction;
          // an advance was emitted by the recorder; a duplicate or conflict was emitted by whoever settled it first;
          // an outcome still unknown is told, so the payment shows it is waiting for the channel
          emit = applied.verdict.kind === 'no-change';
        }
        const traceparent = nextTraceparent(event.traceparent);
        if (emit) await this.platform.outbox.enqueue(tx, TOPICS.channelChargeCompleted, chargeCompletedEvent(transaction), { traceparent });
        this.platform.logger.info(
          { paymentId: c.paymentId, orderId: c.orderId, traceparent, channel: transaction.channel, status: transaction.status, failure: transaction.failure?.code, handled: prepared.kind },
          'charge handled',
        );
      },
    });
  }

  private async prepare(c: ChannelChargeRequested): Promise<Prepared> {
    const db = this.platform.ds.manager;
    const stored = await this.transactions.find(db, c.paymentId);
    if (stored) return this.again(stored, c);
    const amountMinor = BigInt(c.amountMinor);
    let channelCardToken: string | undefined;
    if (c.cardToken) {
      // a token is the merchant's that tokenised the card: another merchant's fails exactly as an unknown one (no oracle)
      const card = await this.cards.find(db, c.merchantId, c.cardToken);
      if (!card) return { kind: 'not-sent', channel: c.channel ?? 'unionpay', routingReasons: ['the card token is not known here'], failure: failureReason('CARD_TOKEN_UNKNOWN') };
      channelCardToken = card.channelToken;
    }
    const merchantChannels = this.settings.merchantRules.get(c.merchantId);
    const toRoute = { requested: c.channel, amountMinor, currency: c.currency, card: c.cardToken !== undefined, ...(merchantChannels ? { merchantChannels } : {}) };
    const route = routeCharge(toRoute, (ch) => this.breakers.health(ch));
    if (!route.ok) {
      return { kind: 'not-sent', channel: c.channel ?? DEFAULT_CHANNEL, routingReasons: route.reasons, failure: failureReason('CHANNEL_UNAVAILABLE', route.reasons.join('; ')) };
    }
    const opened = await this.transactions.open(
      db,
      { ...this.fieldsOf(c), channel: route.channel, routingReasons: route.reasons, cardToken: c.cardToken ?? null },
      this.settings.chargeTimeoutMs + this.settings.queryIntervalMs,
    );
    // another delivery of the same request got there first: never charge twice
    if (!opened.created) return this.again(opened.transaction, c);
    const call = {
      paymentId: c.paymentId,
      merchantId: c.merchantId,
      amountMinor,
      currency: c.currency,
      subject: c.subject,
      createdAt: opened.transaction.createdAt,
      ...(channelCardToken ? { channelCardToken } : {}),
    };
    let channel = route.channel;
    let answer = await this.send(channel, c, call);
    if (answer.kind === 'not-sent') {
      // the breaker refused before anything was sent (a half-open trial is in flight): nothing can have
      // been charged, so route once more without that channel instead of failing the payment
      const refused = channel;
      const again = routeCharge(toRoute, (ch) => (ch === refused ? { breaker: 'open' } : this.breakers.health(ch)));
      if (again.ok) {
        channel = again.channel;
        await this.transactions.reroute(db, c.paymentId, channel, [...route.reasons, `${refused} refused the call (its breaker): nothing sent`, ...again.reasons]);
        answer = await this.send(channel, c, call);
      }
    }
    return { kind: 'answered', result: chargeResultOf(answer), source: 'response' };
  }

  private async send(channel: Channel, c: ChannelChargeRequested, call: Parameters<ChannelClient['charge']>[1]) {
    this.metrics.routed.inc({ requested: c.channel ?? 'none', channel });
    const timer = this.metrics.callSeconds.startTimer({ channel, call: 'charge' });
    const answer = await this.channel.charge(channel, call);
    timer();
    if (answer.kind !== 'not-sent') this.metrics.attempts.inc({ channel });
    return answer;
  }

  /**
   * A request for a payment that has an attempt: the same request again reuses its final outcome or
   * asks the channel about an unknown one; a request on other terms (another order, merchant, amount
   * or currency) is dead-lettered, so one charge's outcome is never told for another.
   */
  private again(t: ChannelTransaction, c: ChannelChargeRequested): Promise<Prepared> | Prepared {
    const mismatch = chargeRequestMismatch(t, this.fieldsOf(c));
    if (mismatch) throw new PermanentEventError(`charge request ${mismatch}`);
    return t.status === 'UNKNOWN' ? this.ask(t, c) : { kind: 'reuse', transaction: t };
  }

  /**
   * A stored unknown outcome: ask the channel how it ended (a query), never charge anew. Only when the
   * channel has never heard of the order (the process stopped between storing the attempt and
   * calling) is the same order sent again: the channel takes an order number once, so this cannot
   * charge twice, and the shopper is not failed for our crash.
   */
  private async ask(t: ChannelTransaction, c: ChannelChargeRequested): Promise<Prepared> {
    const found = queryResultOf(await this.channel.query(t.channel, t));
    if (found === 'not-found' && t.closedAt === null) {
      const card = t.cardToken ? await this.cards.find(this.platform.ds.manager, t.merchantId, t.cardToken) : undefined;
      this.platform.logger.info({ paymentId: t.paymentId, orderId: t.orderId, channel: t.channel }, 'the channel never received the stored attempt: sending the same order again');
      const answer = await this.send(t.channel, c, {
        paymentId: t.paymentId,
        merchantId: t.merchantId,
        amountMinor: t.amountMinor,
        currency: t.currency,
        subject: c.subject,
        createdAt: t.createdAt,
        ...(card ? { channelCardToken: card.channelToken } : {}),
      });
      return { kind: 'answered', result: chargeResultOf(answer), source: 'response' };
    }
    const result: ChargeResult = typeof found === 'string' ? { outcome: 'unknown' } : found;
    return { kind: 'answered', result, source: 'query' };
  }

  private fieldsOf(c: ChannelChargeRequested) {
    return { paymentId: c.paymentId, orderId: c.orderId, merchantId: c.merchantId, amountMinor: BigInt(c.amountMinor), currency: c.currency };
  }
}
