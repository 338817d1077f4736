export * from './actor';
export * from './canonical-json';
export * from './audit-entry';
export * from './audit-log';
export * from './audit-log.migration';
export * from './verify-chain';
