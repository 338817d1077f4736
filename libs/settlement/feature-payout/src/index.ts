export * from './payout.module';
export * from './payout-settings';
