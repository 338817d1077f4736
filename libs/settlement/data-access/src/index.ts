export * from './settlement-tables.migration';
export * from './settlement-terms.migration';
export * from './ledger.repository';
export * from './merchant-profile.repository';
export * from './settlement-batch.repository';
export * from './settlement-item.repository';
export * from './business-calendar.repository';
export * from './calendar-override-audit.migration';
