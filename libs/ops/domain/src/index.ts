export * from './consumer-group-health';
export * from './dead-letter';
export * from './metrics-text';
export * from './ratio-history';
