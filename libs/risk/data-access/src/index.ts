export * from './risk-tables.migration';
export * from './risk-limits.migration';
export * from './risk-decision.repository';
export * from './limit-reservation.repository';
