export * from './logger';
export * from './metrics';
export * from './trace';
export * from './ops-metric-names';
export * from './trace-http';
export * from './shopper-data';
