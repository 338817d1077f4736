export * from './outbox-inbox.migration';
export * from './outbox-relay-lease.migration';
export * from './outbox-migrations';
export * from './outbox';
export * from './outbox-relay';
export * from './inbox';
export * from './inbox-retention.migration';
export * from './inbox-janitor';
