import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { Allow, scopedMerchantId } from '@paystream/shared/auth';
import { externalIdSchema, uuidSchema } from '@paystream/contracts';
import { PaymentRepository } from '@paystream/order-payment/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { callerScope } from '../caller-scope';
import { paymentView } from '../payment.view';

/**
 * GET /payments/:id, GET /payments?orderId= and GET /payments/stats. A merchant reads only its own
 * payments (the query is scoped by its merchantId): another merchant's payment answers 404
 * PAYMENT_NOT_FOUND with the same message as a missing one. Operators read every merchant's.
 */
@Controller('payments')
export class PaymentsQueryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
  ) {}

  /** Counts by status, P_success and outcome latency, from the database (survives restarts). */
  @Get('stats')
  @Allow('operator:finance')
  async stats() {
    return this.payments.stats(this.platform.ds.manager);
  }

  /**
   * The payment of an order. Order ids are per merchant: a merchant's own order (a `merchantId` it
   * names must be its own, else the order is not found); an operator names the merchant
   * (`merchantId`), else 400 MERCHANT_ID_REQUIRED.
   */
  @Get()
  @Allow('merchant', 'operator:finance')
  async byOrder(@Query('orderId') orderId: string | undefined, @Query('merchantId') namedMerchant: string | undefined, @Req() request: object) {
    const parsed = externalIdSchema.safeParse(orderId);
    if (!parsed.success) throw new ApiError('VALIDATION_FAILED', `orderId query parameter: ${parsed.error.issues[0]?.message}`);
    const scope = callerScope(request);
    if (namedMerchant !== undefined && !externalIdSchema.safeParse(namedMerchant).success) throw new ApiError('VALIDATION_FAILED', 'merchantId query parameter is not a valid id', { field: 'merchantId' });
    const merchantId = scopedMerchantId(scope.tenant) ?? namedMerchant;
    if (merchantId === undefined) throw new ApiError('MERCHANT_ID_REQUIRED', 'an operator names the merchant of the order: GET /payments?orderId=..&merchantId=..');
    const notFound = new ApiError('PAYMENT_NOT_FOUND', `no payment for order ${parsed.data}`);
    // a merchant naming another merchant finds nothing, exactly like an order it never had
    if (namedMerchant !== undefined && namedMerchant !== merchantId) throw notFound;
    const payment = await this.payments.findByOrderId(this.platform.ds.manager, merchantId, parsed.data);
    if (!payment) throw notFound;
    return paymentView(payment, scope.shopperData, await this.payments.history(this.platform.ds.manager, payment.id));
  }

  @Get(':id')
  @Allow('merchant', 'operator:finance', 'operator:risk')
  async byId(@Param('id') id: string, @Req() request: object) {
    if (!uuidSchema.safeParse(id).success) throw new ApiError('VALIDATION_FAILED', 'payment id must be a UUID');
    const scope = callerScope(request);
    const payment = await this.payments.findById(this.platform.ds.manager, scope.tenant, id);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${id}`);
    return paymentView(payment, scope.shopperData, await this.payments.history(this.platform.ds.manager, payment.id));
  }
}
