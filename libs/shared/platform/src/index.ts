export * from './services';
export * from './config';
export * from './platform';
export * from './platform.module';
export * from './api-error';
export * from './bootstrap';
export * from './polling-worker';
export * from './http-client';
