export * from './ledger-accounts';
export * from './ledger-postings';
export * from './settlement-schedule';
