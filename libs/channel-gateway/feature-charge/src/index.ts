export * from './charge.module';
export * from './channel-settings';
export * from './channel-metrics';
export * from './channel.client';
