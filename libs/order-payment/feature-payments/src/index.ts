export * from './payments.module';
export * from './payment-metrics';
export * from './create-payment/create-payment.request';
