export * from './match/reconciliation-matcher';
