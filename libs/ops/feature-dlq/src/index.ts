export * from './dlq-replay.migration';
export * from './replay-log';
export * from './dead-letter-reader';
export * from './dlq-commands';
