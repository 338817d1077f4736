export * from './channel-gateway-tables.migration';
export * from './channel-routing.migration';
export * from './channel-refunds.migration';
export * from './channel-transaction.repository';
export * from './channel-refund.repository';
export * from './channel-notifications.migration';
export * from './channel-notification.repository';
export * from './card-token.repository';
