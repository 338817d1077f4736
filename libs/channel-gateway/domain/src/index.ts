export * from './channel-routing';
export * from './channel-transaction-status';
export * from './charge-outcome';
export * from './refund-outcome';
export * from './alipay-answer';
