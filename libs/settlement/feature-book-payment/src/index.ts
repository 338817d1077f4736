export * from './book-payment.module';
export * from './settlement-metrics';
