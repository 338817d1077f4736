export * from './cluster-reader';
export * from './ops-metrics';
export * from './service-probe';
export * from './ops-monitor';
export * from './ops.module';
export * from './status-page';
