export * from './route-channel';
export * from './channel-transaction-status';
export * from './charge-outcome';
