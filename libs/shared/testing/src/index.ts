export * from './infra';
export * from './topic-collector';
export * from './raw-producer';
export * from './concurrent-transactions';
export * from './consumer-fixtures';
export * from './broker-gate';
export * from './schema-text-fields';
export * from './test-credentials';
