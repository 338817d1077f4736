export * from './cluster-reader';
export * from './ops-metrics';
export * from './service-probe';
export * from './ops-monitor';
export * from './ops-runtime';
export * from './ops.controller';
export * from './ops.module';
export * from './status-page';
