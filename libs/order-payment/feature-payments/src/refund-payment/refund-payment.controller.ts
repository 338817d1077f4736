import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { Body, Controller, Get, Headers, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { Allow, merchantScope } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues, positiveAmountMinorSchema, TOPICS, uuidSchema, storableText } from '@paystream/contracts';
import { PaymentRepository, RefundRepository, type Refund } from '@paystream/order-payment/data-access';
import { checkRefund } from '@paystream/order-payment/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { inTransaction } from '@paystream/shared/persistence';
import { ApiError, Platform, requireIdempotencyKey } from '@paystream/shared/platform';
import { callerScope, callingMerchant } from '../caller-scope';

/** The body of POST /payments/:id/refunds. */
export const refundBodySchema = z.object({ amountMinor: positiveAmountMinorSchema, reason: storableText().min(1).max(256).optional() }).strict();

/** A refund as the HTTP API shows it. */
export function refundView(r: Refund) {
  return {
    refundId: r.id,
    paymentId: r.paymentId,
    amountMinor: r.amountMinor.toString(),
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    channelRefundNo: r.channelRefundNo,
    failure: r.failure,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/**
 * POST /payments/:id/refunds (Idempotency-Key) and GET /payments/:id/refunds. A merchant refunds and
 * reads only its own payments: another merchant's payment answers 404 PAYMENT_NOT_FOUND like a missing
 * one, and nothing changes. A refund's Idempotency-Key is its merchant's own.
 */
@Controller('payments/:id/refunds')
export class RefundPaymentController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
    @Inject(RefundRepository) private readonly refunds: RefundRepository,
  ) {}

  @Post()
  @Allow('merchant')
  async refund(
    @Param('id') paymentId: string,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Headers('traceparent') traceparentIn: string | undefined,
    @Body() rawBody: unknown,
    @Req() request: object,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const merchantId = callingMerchant(request);
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'payment id must be a UUID');
    const key = requireIdempotencyKey(rawKey);
    const body = refundBodySchema.safeParse(rawBody);
    if (!body.success) throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    const hash = createHash('sha256').update(`${paymentId}|${body.data.amountMinor}|${body.data.reason ?? ''}`).digest('hex');
    const amountMinor = BigInt(body.data.amountMinor);
    const traceparent = nextTraceparent(traceparentIn);
    const outcome = await inTransaction(this.platform.ds, async (tx) => {
      // the payment row lock serialises refunds of one payment, so their sum is checked against the truth
      const payment = await this.payments.findById(tx, merchantScope(merchantId), paymentId, { forUpdate: true });
      if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
      const seen = await this.refunds.findByKey(tx, merchantId, key);
      if (seen) {
        if (seen.requestHash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
        return { status: 200, refund: seen };
      }
      const check = checkRefund(payment, await this.refunds.committedMinor(tx, paymentId), amountMinor);
      if (!check.ok) throw new ApiError(check.code, check.detail);
      if (!payment.channel || !payment.channelTradeNo) throw new Error(`captured payment ${paymentId} has no channel trade`);
      const inserted = await this.refunds.insert(tx, {
        id: randomUUID(),
        paymentId,
        merchantId,
        amountMinor,
        currency: payment.currency,
        reason: body.data.reason ?? null,
        idempotencyKey: key,
        requestHash: hash,
      });
      if (!inserted) {
        // a concurrent request of this merchant with this key committed first (another payment's refund, since this one's row lock was ours)
        const winner = await this.refunds.findByKey(tx, merchantId, key);
        if (!winner || winner.requestHash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
        return { status: 200, refund: winner };
      }
      const refund = inserted;
      await this.platform.outbox.enqueue(
        tx,
        TOPICS.channelRefundRequested,
        {
          refundId: refund.id,
          paymentId,
          orderId: payment.orderId,
          merchantId: payment.merchantId,
          channel: payment.channel,
          channelTradeNo: payment.channelTradeNo,
          amountMinor: amountMinor.toString(),
          currency: payment.currency,
        },
        { traceparent },
      );
      this.platform.logger.info({ paymentId, orderId: payment.orderId, refundId: refund.id, amountMinor: body.data.amountMinor, traceparent }, 'refund asked of the channel');
      return { status: 202, refund };
    });
    void reply.status(outcome.status);
    if (outcome.status === 200) void reply.header('idempotent-replayed', 'true');
    return refundView(outcome.refund);
  }

  @Get()
  @Allow('merchant', 'operator:finance')
  async list(@Param('id') paymentId: string, @Req() request: object) {
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'payment id must be a UUID');
    const { tenant } = callerScope(request);
    const payment = await this.payments.findById(this.platform.ds.manager, tenant, paymentId);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
    return { paymentId, refunds: (await this.refunds.forPayment(this.platform.ds.manager, tenant, paymentId)).map(refundView) };
  }
}
