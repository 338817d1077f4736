import { itRefusesUnstorableText } from '@paystream/shared/testing';
import { createPaymentBodySchema } from './create-payment/create-payment.request';
import { refundBodySchema } from './refund-payment/refund-payment.controller';

// every text field of order-payment's request bodies refuses what Postgres cannot store
describe('order-payment API schemas', () => {
  itRefusesUnstorableText({ createPaymentBody: createPaymentBodySchema, refundBody: refundBodySchema });
});
