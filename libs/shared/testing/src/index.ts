export * from './infra';
export * from './topic-collector';
export * from './raw-producer';
export * from './concurrent-transactions';
export * from './consumer-fixtures';
export * from './schema-text-fields';
