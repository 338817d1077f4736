export * from './order-payment-tables.migration';
export * from './refund-tables.migration';
export * from './payment.repository';
export * from './refund.repository';
export * from './idempotency-key.repository';
export * from './merchant-copy.migration';
export * from './merchant-copy.repository';
export * from './tenant-scoped-keys.migration';
