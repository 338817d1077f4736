export * from './registry-settings';
export * from './registry.module';
