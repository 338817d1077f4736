export * from './settings';
export * from './envelope';
export * from './errors';
export * from './client';
export * from './producer';
export * from './consumer';
export * from './lag-monitor';
export * from './topic-metadata-wait';
