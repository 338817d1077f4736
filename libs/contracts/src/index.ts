export * from './topics';
export * from './headers';
export * from './primitives';
export * from './errors';
export * from './events';
export * from './validation';
export * from './idempotency-key';
export * from './storable-text';
