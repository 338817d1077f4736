import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { failureReason, TOPICS, type Channel, type Currency } from '@paystream/contracts';
import { MerchantCopyRepository, PaymentRepository } from '@paystream/order-payment/data-access';
import { isOutcomeFinal, merchantRefusal, sameTerms, wasCaptured, type MerchantRefusalCode, type Payment } from '@paystream/order-payment/domain';
import { maskedShopperData, nextTraceparent } from '@paystream/shared/observability';
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
  | { kind: 'conflict'; payment: Payment }
  /** The merchant is unknown, suspended or closed: nothing recorded (over Kafka, payment.failed.v1 says so). */
  | { kind: 'refused'; code: MerchantRefusalCode };

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
    @Inject(MerchantCopyRepository) private readonly merchants: MerchantCopyRepository,
  ) {}

  async execute(tx: EntityManager, cmd: CreatePaymentCommand, ctx: { source: 'kafka' | 'api'; traceparent?: string }): Promise<CreatePaymentResult> {
    const traceparent = nextTraceparent(ctx.traceparent);
    // an order that has its payment already is answered as before; only a new payment needs a merchant that takes payments.
    // Order ids are per merchant: the same order id of another merchant is another order.
    if (!(await this.payments.findByOrderId(tx, cmd.merchantId, cmd.orderId))) {
      const refusal = merchantRefusal(await this.merchants.find(tx, cmd.merchantId));
      if (refusal) return this.refuse(tx, cmd, refusal, ctx.source, traceparent);
    }
    const { payment, created } = await this.payments.insertIfAbsent(
      tx,
      { id: randomUUID(), ...cmd, requestedChannel: cmd.channel ?? null, cardToken: cmd.cardToken ?? null, deviceId: cmd.deviceId ?? null, ipAddress: cmd.ipAddress ?? null },
      traceparent,
    );
    const log = this.platform.logger.child({ paymentId: payment.id, orderId: payment.orderId, merchantId: payment.merchantId, traceparent });
    if (created) {
      await this.platform.outbox.enqueue(tx, TOPICS.riskAssessmentRequested, riskAssessmentRequest(payment), { traceparent });
      afterCommit(tx, () => this.metrics.requested.inc({ source: ctx.source, result: 'created' }));
      log.info({ amountMinor: cmd.amountMinor.toString(), source: ctx.source }, 'payment recorded, risk asked');
      return { kind: 'created', payment };
    }
    if (!sameTerms(payment, cmd)) {
      // a conflict is counted even though its transaction is rolled back: the request did happen
      this.metrics.requested.inc({ source: ctx.source, result: 'conflict' });
      // the terms asked for, with the shopper data masked (logs never carry a card token, device, IP or user in the clear)
      log.warn({ requested: { ...cmd, amountMinor: cmd.amountMinor.toString(), ...maskedShopperData(cmd) } }, 'order already has a payment on different terms');
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

  /**
   * A payment for a merchant that does not take payments: nothing is recorded. Over Kafka the
   * upstream learns it from payment.failed.v1 (its paymentId derived from the order, so a repeat
   * carries the same id); over HTTP the caller answers 4xx.
   */
  private async refuse(tx: EntityManager, cmd: CreatePaymentCommand, code: MerchantRefusalCode, source: 'kafka' | 'api', traceparent: string): Promise<CreatePaymentResult> {
    if (source === 'kafka') {
      await this.platform.outbox.enqueue(
        tx,
        TOPICS.paymentFailed,
        {
          paymentId: refusedPaymentId(cmd.merchantId, cmd.orderId),
          orderId: cmd.orderId,
          merchantId: cmd.merchantId,
          userId: cmd.userId,
          amountMinor: cmd.amountMinor.toString(),
          currency: cmd.currency,
          ...(cmd.channel ? { channel: cmd.channel } : {}),
          reason: failureReason(code),
          failedAt: new Date().toISOString(),
        },
        { traceparent },
      );
    }
    afterCommit(tx, () => this.metrics.requested.inc({ source, result: 'refused' }));
    this.platform.logger.warn({ orderId: cmd.orderId, merchantId: cmd.merchantId, code, source, traceparent }, 'payment refused: the merchant does not take payments');
    return { kind: 'refused', code };
  }
}

/** The paymentId of a refused request: a UUID derived from merchant and order (nothing was recorded to hold one). */
export function refusedPaymentId(merchantId: string, orderId: string): string {
  const h = createHash('sha256').update(`refused-payment:${merchantId}:${orderId}`).digest('hex');
  // shaped as an RFC 9562 version 8 (custom) UUID with the RFC variant
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
