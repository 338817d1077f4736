export * from './channel-gateway-tables.migration';
export * from './channel-routing.migration';
export * from './channel-refunds.migration';
export * from './channel-transaction.repository';
export * from './channel-refund.repository';
