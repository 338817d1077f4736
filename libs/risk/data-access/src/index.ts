export * from './risk-tables.migration';
export * from './risk-decision.repository';
