export * from './emulator.module';
export * from './emulator-config';
export * from './sandbox-scenario';
export * from './emulator-tokens';
export { NOTIFY_RETRY_SCHEDULES_MS } from './notification-sender';
