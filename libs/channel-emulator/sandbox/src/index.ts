export * from './emulator.module';
export * from './emulator-config';
export * from './sandbox-scenario';
export * from './emulator-tokens';
export { ChannelSandbox } from './channel-sandbox';
export { SandboxJournal, SANDBOX_JOURNAL_FILE } from './sandbox-journal';
