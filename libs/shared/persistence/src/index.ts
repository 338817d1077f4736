export * from './data-source';
export * from './polling-worker';
export * from './retention-janitor';
