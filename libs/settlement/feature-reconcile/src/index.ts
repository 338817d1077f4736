export * from './match/reconciliation-matcher';
export * from './reconcile.module';
export * from './reconcile-settings';
export * from './reconciliation-tables.migration';
export * from './reconciliation-day';
export * from './daily-reconciliation.worker';
