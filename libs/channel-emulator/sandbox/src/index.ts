export * from './emulator.module';
export * from './emulator-config';
export * from './sandbox-scenario';
export { EMULATOR_LOGGER } from './emulator.controller';
