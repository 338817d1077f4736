import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS, type Channel, type Currency } from '@paystream/contracts';
import { PaymentRepository } from '@paystream/order-payment/data-access';
import { isOutcomeFinal, sameTerms, wasCaptured, type Payment } from '@paystream/order-payment/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit, type EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { failedEvent, riskAssessmentRequest, succeededEvent } from '../payment-events';
import { PaymentMetrics } from '../payment-metrics';

/** What an order asks to be paid: from payment.requested.v1 or POST /payments. */
export interface CreatePaymentCommand {
  orderId: string;
  merchantId: string;
  userId: string;
  amountMinor: bigint;
  currency: Currency;
  channel?: Channel;
  cardToken?: string;
  deviceId?: string;
  ipAddress?: string;
  subject: string;
}

export type CreatePaymentResult =
  | { kind: 'created'; payment: Payment }
  /** The order already has this payment; a final outcome was emitted again for the new requester. */
  | { kind: 'existing'; payment: Payment; reemitted: boolean }
  /** The order already has a payment on different terms: nothing changes. */
  | { kind: 'conflict'; payment: Payment };

/**
 * One order, one payment: records a new payment and asks risk, or answers a repeat with the order's
 * existing payment (re-emitting its final outcome so a retrying upstream learns it).
 */
@Injectable()
export class CreatePaymentHandler {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
    @Inject(PaymentMetrics) private readonly metrics: PaymentMetrics,
  ) {}

  async execute(tx: EntityManager, cmd: CreatePaymentCommand, ctx: { source: 'kafka' | 'api'; traceparent?: string }): Promise<CreatePaymentResult> {
    const traceparent = nextTraceparent(ctx.traceparent);
    const { payment, created } = await this.payments.insertIfAbsent(
      tx,
      { id: randomUUID(), ...cmd, requestedChannel: cmd.channel ?? null, cardToken: cmd.cardToken ?? null, deviceId: cmd.deviceId ?? null, ipAddress: cmd.ipAddress ?? null },
      traceparent,
    );
    const log = this.platform.logger.child({ paymentId: payment.id, orderId: payment.orderId, traceparent });
    if (created) {
      await this.platform.outbox.enqueue(tx, TOPICS.riskAssessmentRequested, riskAssessmentRequest(payment), { traceparent });
      afterCommit(tx, () => this.metrics.requested.inc({ source: ctx.source, result: 'created' }));
      log.info({ amountMinor: cmd.amountMinor.toString(), source: ctx.source }, 'payment recorded, risk asked');
      return { kind: 'created', payment };
    }
    if (!sameTerms(payment, cmd)) {
      // a conflict is counted even though its transaction is rolled back: the request did happen
      this.metrics.requested.inc({ source: ctx.source, result: 'conflict' });
      log.warn({ requested: { ...cmd, amountMinor: cmd.amountMinor.toString() } }, 'order already has a payment on different terms');
      return { kind: 'conflict', payment };
    }
    afterCommit(tx, () => this.metrics.requested.inc({ source: ctx.source, result: 'duplicate' }));
    if (!isOutcomeFinal(payment.status)) {
      log.info({ status: payment.status }, 'repeat request for a payment in flight: its outcome will follow');
      return { kind: 'existing', payment, reemitted: false };
    }
    if (wasCaptured(payment.status)) await this.platform.outbox.enqueue(tx, TOPICS.paymentSucceeded, succeededEvent(payment), { traceparent });
    else await this.platform.outbox.enqueue(tx, TOPICS.paymentFailed, failedEvent(payment), { traceparent });
    log.info({ status: payment.status }, 'repeat request for a finished payment: outcome emitted again');
    return { kind: 'existing', payment, reemitted: true };
  }
}
