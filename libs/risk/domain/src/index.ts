export * from './risk-rules';
export * from './limits';
export * from './limit-reservation';
export * from './resident-id';
export * from './identity';
export * from './rule-set';
export * from './attempt-signals';
export * from './attempt-retention';
