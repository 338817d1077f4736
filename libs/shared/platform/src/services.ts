/** The services of the suite, their default ports and the prefix of their environment variables. */
export const SERVICES = {
  'order-payment': { port: 3001, envPrefix: 'ORDER_PAYMENT', database: 'paystream_order_payment' },
  'channel-gateway': { port: 3002, envPrefix: 'CHANNEL_GATEWAY', database: 'paystream_channel_gateway' },
  risk: { port: 3003, envPrefix: 'RISK', database: 'paystream_risk' },
  settlement: { port: 3004, envPrefix: 'SETTLEMENT', database: 'paystream_settlement' },
  // the merchant registry: who exists, their terms, payout accounts, keys and operators
  merchant: { port: 3006, envPrefix: 'MERCHANT', database: 'paystream_merchant' },
  'channel-emulator': { port: 3100, envPrefix: 'CHANNEL_EMULATOR', database: undefined },
  // the cluster view from outside (lag, health, dead letters); its database records DLQ replays
  ops: { port: 3005, envPrefix: 'OPS', database: 'paystream_ops' },
} as const;

export type ServiceName = keyof typeof SERVICES;
