export * from './charge.module';
export * from './channel-settings';
