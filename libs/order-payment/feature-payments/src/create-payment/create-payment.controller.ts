import { Body, Controller, Headers, Inject, Post, Req, Res } from '@nestjs/common';
import { Allow, merchantScope } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { describeIssues } from '@paystream/contracts';
import { IdempotencyKeyRepository, PaymentRepository } from '@paystream/order-payment/data-access';
import { inTransaction } from '@paystream/shared/persistence';
import { ApiError, Platform, requireIdempotencyKey } from '@paystream/shared/platform';
import { callerScope, callingMerchant } from '../caller-scope';
import { paymentView } from '../payment.view';
import { CreatePaymentHandler } from './create-payment.handler';
import { createPaymentBodySchema, requestHash } from './create-payment.request';

/** A concurrent request claimed the same Idempotency-Key first: answer as its replay. */
class KeyClaimedConcurrently extends Error {}

/**
 * POST /payments: the synchronous way in, with an Idempotency-Key on every request. Keys and order ids
 * are the calling merchant's own: another merchant's same key or order id is another key or order.
 */
@Controller('payments')
export class CreatePaymentController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(CreatePaymentHandler) private readonly createPayment: CreatePaymentHandler,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
    @Inject(IdempotencyKeyRepository) private readonly keys: IdempotencyKeyRepository,
  ) {}

  @Post()
  @Allow('merchant')
  async create(
    @Headers('idempotency-key') rawKey: string | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @Body() rawBody: unknown,
    @Req() request: object,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const caller = callerScope(request);
    // the payment is the caller's: the auth guard refused a body naming another merchant, and the principal's id is the one used
    const merchantId = callingMerchant(request);
    const key = requireIdempotencyKey(rawKey);
    const body = createPaymentBodySchema.safeParse(rawBody);
    if (!body.success) {
      throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    }
    const hash = requestHash(body.data);
    const attempt = () =>
      inTransaction(this.platform.ds, async (tx) => {
        const seen = await this.keys.find(tx, merchantId, key);
        if (seen) {
          if (seen.requestHash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
          const payment = await this.payments.findById(tx, merchantScope(merchantId), seen.paymentId);
          if (!payment) throw new Error(`idempotency key points at missing payment ${seen.paymentId}`);
          return { status: 200, payment, replayed: true };
        }
        const result = await this.createPayment.execute(tx, { ...body.data, merchantId, amountMinor: BigInt(body.data.amountMinor) }, { source: 'api', traceparent });
        if (result.kind === 'conflict') {
          throw new ApiError('ORDER_ALREADY_PAID_DIFFERENTLY', undefined, { paymentId: result.payment.id });
        }
        // MERCHANT_UNKNOWN 422, MERCHANT_SUSPENDED / MERCHANT_CLOSED 403; the key is not claimed (a retry after onboarding may pay)
        if (result.kind === 'refused') throw new ApiError(result.code);
        if (!(await this.keys.claim(tx, merchantId, key, hash, result.payment.id))) throw new KeyClaimedConcurrently();
        return { status: result.kind === 'created' ? 201 : 200, payment: result.payment, replayed: false };
      });
    let outcome: Awaited<ReturnType<typeof attempt>>;
    try {
      outcome = await attempt();
    } catch (error) {
      if (!(error instanceof KeyClaimedConcurrently)) throw error;
      outcome = await attempt();
    }
    void reply.status(outcome.status);
    if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
    return paymentView(outcome.payment, caller.shopperData);
  }
}
