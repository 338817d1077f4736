import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { externalIdSchema, uuidSchema } from '@paystream/contracts';
import { PaymentRepository } from '@paystream/order-payment/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { paymentView } from '../payment.view';

/** GET /payments/:id, GET /payments?orderId= and GET /payments/stats. */
// TODO(issue 14 tenant): merchant calls here are authenticated but not yet scoped by the principal's
// merchantId (the guard refuses only another merchant named in the path or body)
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

  @Get()
  @Allow('merchant', 'operator:finance')
  async byOrder(@Query('orderId') orderId: string | undefined) {
    const parsed = externalIdSchema.safeParse(orderId);
    if (!parsed.success) throw new ApiError('VALIDATION_FAILED', `orderId query parameter: ${parsed.error.issues[0]?.message}`);
    const payment = await this.payments.findByOrderId(this.platform.ds.manager, parsed.data);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment for order ${parsed.data}`);
    return paymentView(payment, await this.payments.history(this.platform.ds.manager, payment.id));
  }

  @Get(':id')
  @Allow('merchant', 'operator:finance', 'operator:risk')
  async byId(@Param('id') id: string) {
    if (!uuidSchema.safeParse(id).success) throw new ApiError('VALIDATION_FAILED', 'payment id must be a UUID');
    const payment = await this.payments.findById(this.platform.ds.manager, id);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${id}`);
    return paymentView(payment, await this.payments.history(this.platform.ds.manager, payment.id));
  }
}
