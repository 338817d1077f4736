export * from './order-payment-tables.migration';
export * from './payment.repository';
export * from './idempotency-key.repository';
