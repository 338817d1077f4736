export * from './data-source';
export * from './polling-worker';
