export * from './assess-payment.module';
export * from './identity';
export * from './review/review-settings';
