export * from './merchant';
export * from './merchant-status';
export * from './payout-account-change';
