export * from './payment-status';
export * from './payment';
export * from './refund';
export * from './merchant-acceptance';
