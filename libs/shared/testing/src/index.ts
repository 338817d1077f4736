export * from './infra';
export * from './topic-collector';
export * from './raw-producer';
