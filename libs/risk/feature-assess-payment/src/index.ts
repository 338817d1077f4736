export * from './assess-payment.module';
export * from './identity';
export * from './review/review-settings';
export * from './limits/cap-settings';
export * from './attempt-retention/attempt-retention-settings';
