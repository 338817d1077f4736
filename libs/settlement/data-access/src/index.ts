export * from './settlement-tables.migration';
export * from './ledger.repository';
export * from './merchant-profile.repository';
export * from './settlement-batch.repository';
