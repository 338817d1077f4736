import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { failureReason, TOPICS, type ChannelRefundRequested, type FailureReason } from '@paystream/contracts';
import { ChannelRefundRepository, ChannelTransactionRepository, type ChannelRefund, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import {
  refundBeyondCapture,
  refundIdReused,
  refundQueryResultOf,
  refundRequestMismatch,
  refundResultOf,
  resentRefundResultOf,
  SENDING_REFUND_RESUME,
  type RefundResult,
} from '@paystream/channel-gateway/domain';
import { Actors, appendAudit } from '@paystream/shared/audit-log';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { refundCompletedEvent, refundSettled } from './completed-event';
import { sendRecordedRefund } from './refund-send';

/**
 * Who asks for a refund, as the audit log names it: order-payment, the one service that writes
 * channel.refund-requested.v1 (TOPIC_PRODUCERS; the consumer dead-letters one whose ce_source is another; issue 15 makes it the broker's ACL too).
 */
export const REFUND_REQUESTER_ACTOR = Actors.service('order-payment');

/**
 * What the first step came to: a refund recorded before (told as it stands), one refused before the
 * channel (no successful charge here: recorded failed with the inbox mark), or the channel's answer
 * to a refund recorded SENDING (recorded, guarded, with the inbox mark).
 */
type Prepared =
  | { kind: 'stored'; refund: ChannelRefund }
  | { kind: 'not-sent'; failure: FailureReason }
  | { kind: 'answered'; refund: ChannelRefund; result: RefundResult; via: 'send' | 'resend' | 'query' };

/**
 * channel.refund-requested.v1 -> a refund at the channel that charged -> channel.refund-completed.v1.
 *
 * As the charge flow does, the refund is recorded before the channel is called, and the call is
 * made outside any database transaction:
 *   1. one short transaction: lock the charge, check the capture (succeeded + unknown + sending
 *      refunds count), insert the refund SENDING with its refund number (from the refundId) and its
 *      send time (UnionPay's txnTime) fixed once; commit;
 *   2. call the channel (no transaction, no row lock held);
 *   3. with the inbox mark, record the answer by a guarded update (only from SENDING / UNKNOWN) and
 *      put the result event in the outbox: only the update that settles the refund tells it.
 * A refund whose outcome the channel leaves unknown tells nothing yet: it holds its part of the
 * capture, is never sent again, and the refund janitor queries it until the channel says.
 *
 * Where the process may die (SIGKILL), and what the redelivered request then does (the offset is
 * committed only after step 3; the refunded / told columns are per refund):
 * | dies                           | committed                           | the redelivery                                                        | channel refunds | told |
 * |--------------------------------|-------------------------------------|-----------------------------------------------------------------------|-----------------|------|
 * | before step 1 commits          | nothing (the lock goes with it)     | does it all afresh                                                    | once            | once |
 * | between 1 and 2 (never sent)   | SENDING row: holds the capture      | Alipay / WeChat Pay: send the same number and send time again         | once            | once |
 * |                                |                                     | UnionPay: query (orderId + recorded txnTime) says not found: it stays | never: held and | none |
 * |                                |                                     | SENDING for the janitor, never sent again (alert past the max age)    | alerted         |      |
 * | during 2, or between 2 and 3   | SENDING row; the channel may have   | Alipay / WeChat Pay: the resend answers the refund already made;      | once            | once |
 * |                                | refunded                            | UnionPay: the query finds it; recorded (guarded) with the inbox mark  |                 |      |
 * | after 3 commits                | outcome, outbox row, inbox mark     | the inbox says seen: nothing                                          | once            | once |
 * | (no redelivery for a while)    | SENDING row                         | the janitor queries it past the call's timeout and tells it once; a   | once            | once, + once |
 * |                                |                                     | redelivery after that finds it settled and tells it again, as it does |                 | per repeat |
 * |                                |                                     | for any repeated request (order-payment ignores a settled refund's)   |                 |      |
 * The crash during 2 is exercised by the integration spec (a channel client that acts and then dies).
 */
@Injectable()
export class RefundRequestedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelRefundRepository) private readonly refunds: ChannelRefundRepository,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {}

  onModuleInit(): void {
    this.platform.consume<typeof TOPICS.channelRefundRequested, Prepared>(TOPICS.channelRefundRequested, {
      prepare: (event) => this.prepare(event.payload),
      handle: async (event, tx, prepared) => {
        const r = event.payload;
        const traceparent = nextTraceparent(event.traceparent);
        const log = { paymentId: r.paymentId, orderId: r.orderId, refundId: r.refundId, traceparent };
        let refund: ChannelRefund;
        if (prepared.kind === 'stored') refund = prepared.refund;
        else if (prepared.kind === 'not-sent') refund = await this.refunds.recordNotSent(tx, this.asked(r), prepared.failure);
        else {
          const recorded = await this.refunds.recordOutcome(tx, r.refundId, prepared.result, this.settings.queryIntervalMs);
          if (!recorded) {
            // the janitor or another delivery recorded it first, and told it if it was settled
            this.platform.logger.info({ ...log, answer: prepared.result.outcome, via: prepared.via }, 'refund answer already recorded by another: not told again');
            return;
          }
          refund = recorded;
        }
        if (!refundSettled(refund)) {
          this.platform.logger.warn(
            { ...log, status: refund.status, detail: refund.failure?.message },
            'refund outcome unknown: it holds its part of the capture and the channel is queried; nothing is told until it says',
          );
          return;
        }
        await this.platform.outbox.enqueue(tx, TOPICS.channelRefundCompleted, refundCompletedEvent(refund, r.orderId), { traceparent });
        this.platform.logger.info({ ...log, status: refund.status, failure: refund.failure?.code, handled: prepared.kind }, 'refund handled');
      },
    });
  }

  private async prepare(r: ChannelRefundRequested): Promise<Prepared> {
    const stored = await this.refunds.find(this.platform.ds.manager, r.refundId);
    if (stored) return this.again(stored, r);
    // step 1, under the lock on the charge: its refunds are checked and recorded one at a time, so one
    // being sent or unknown counts against the next and the refunds never give back more than was captured
    const opened = await inTransaction(this.platform.ds, async (tx): Promise<{ prepared: Prepared } | { send: ChannelRefund; charge: ChannelTransaction }> => {
      const charge = await this.transactions.lockForRefund(tx, r.paymentId);
      if (!charge || charge.status !== 'SUCCEEDED') return { prepared: { kind: 'not-sent', failure: failureReason('CHANNEL_REFUND_FAILED', `no successful charge ${r.paymentId} here`) } };
      // a refund naming another order, channel or currency than the charge is not sent to the channel
      const mismatch = refundRequestMismatch(charge, r);
      if (mismatch) throw new PermanentEventError(`refund request: ${mismatch}`);
      const asked = this.asked(r);
      const beyond = refundBeyondCapture({ capturedMinor: charge.amountMinor, refundedMinor: await this.refunds.refundedMinor(tx, r.paymentId, r.refundId) }, asked.amountMinor);
      if (beyond) {
        this.platform.logger.warn({ paymentId: r.paymentId, refundId: r.refundId, amountMinor: r.amountMinor, failure: beyond.message }, 'refund beyond the capture: not sent to the channel');
        return { prepared: { kind: 'stored', refund: await this.refunds.recordNotSent(tx, asked, beyond) } };
      }
      // the first query is due only once the call could have answered: the janitor finds it only if this process dies
      const sending = await this.refunds.openSending(tx, asked, new Date(), this.settings.chargeTimeoutMs + this.settings.queryIntervalMs);
      // the decision to send money back is committed here, with the refund SENDING, before the channel is called
      if (sending.created) {
        const s = sending.refund;
        await appendAudit(tx, {
          actor: REFUND_REQUESTER_ACTOR,
          action: 'refund.sent',
          subject: `refund:${s.refundId}`,
          details: { paymentId: s.paymentId, orderId: r.orderId, channel: s.channel, amountMinor: s.amountMinor, currency: s.currency, sentAt: s.sentAt ?? null },
        });
      }
      return sending.created ? { send: sending.refund, charge } : { prepared: { kind: 'stored', refund: sending.refund } };
    });
    if ('prepared' in opened) return opened.prepared.kind === 'stored' ? this.again(opened.prepared.refund, r) : opened.prepared;
    // step 2, outside any transaction: nothing was sent before under this number, so what it says stands
    const answer = await this.send(opened.send, opened.charge, r);
    return { kind: 'answered', refund: opened.send, result: refundResultOf(answer), via: 'send' };
  }

  /**
   * A refund with a row: a refundId answered for one payment is never answered for another; one still
   * SENDING was left by a handler that died before recording the answer and is taken up again, never
   * under another number or send time; any other is told as it stands.
   */
  private async again(stored: ChannelRefund, r: ChannelRefundRequested): Promise<Prepared> {
    const reused = refundIdReused(stored, r);
    if (reused) throw new PermanentEventError(`refund request: ${reused}`);
    if (stored.status !== 'SENDING') return { kind: 'stored', refund: stored };
    const charge = await this.transactions.find(this.platform.ds.manager, stored.paymentId);
    if (!charge) throw new Error(`refund ${stored.refundId}: no charge ${stored.paymentId} here`);
    const log = { paymentId: stored.paymentId, refundId: stored.refundId, channel: stored.channel, sentAt: stored.sentAt?.toISOString() };
    if (SENDING_REFUND_RESUME[stored.channel] === 'resend') {
      this.platform.logger.warn(log, 'a refund left sending by a handler that died: sent again with the same refund number and send time');
      return { kind: 'answered', refund: stored, result: resentRefundResultOf(await this.send(stored, charge, r)), via: 'resend' };
    }
    const found = refundQueryResultOf(await this.channel.refundQuery(stored.channel, { refundId: stored.refundId, paymentId: stored.paymentId, sentAt: this.sentAtOf(stored) }));
    this.metrics.refundQueries.inc({ channel: stored.channel, result: typeof found === 'string' ? found : found.outcome });
    this.platform.logger.warn({ ...log, query: typeof found === 'string' ? found : found.outcome }, 'a refund left sending by a handler that died: asked the channel, never sent again');
    if (typeof found !== 'string') return { kind: 'answered', refund: stored, result: found, via: 'query' };
    // not found: perhaps never sent, perhaps not booked yet; it stays sending, holding the capture, for the janitor
    if (found === 'not-found') return { kind: 'stored', refund: stored };
    return { kind: 'answered', refund: stored, result: { outcome: 'unknown', failure: failureReason('CHANNEL_OUTCOME_UNKNOWN', 'refund: the channel is processing it') }, via: 'query' };
  }

  /** The refund call, with the refund number and send time recorded in step 1. */
  private async send(refund: ChannelRefund, charge: ChannelTransaction, r: ChannelRefundRequested) {
    return sendRecordedRefund(this.channel, this.metrics, refund, charge, charge.channelTradeNo ?? r.channelTradeNo, this.sentAtOf(refund));
  }

  private sentAtOf(refund: ChannelRefund): Date {
    if (!refund.sentAt) throw new Error(`refund ${refund.refundId} has no send time`);
    return refund.sentAt;
  }

  private asked(r: ChannelRefundRequested) {
    return { refundId: r.refundId, paymentId: r.paymentId, orderId: r.orderId, channel: r.channel, amountMinor: BigInt(r.amountMinor), currency: r.currency };
  }
}
