export * from './outbox-inbox.migration';
export * from './outbox';
export * from './outbox-relay';
export * from './inbox';
