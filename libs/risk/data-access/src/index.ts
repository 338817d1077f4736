export * from './risk-tables.migration';
export * from './risk-limits.migration';
export * from './risk-decision.repository';
export * from './limit-reservation.repository';
export * from './identity.migration';
export * from './identity-cipher';
export * from './identity-keys';
export * from './identity.repository';
