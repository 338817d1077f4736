export * from './merchant-tables.migration';
export * from './merchant.repository';
export * from './payout-account-change.repository';
