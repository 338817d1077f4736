export * from './alipay';
export * from './wechatpay';
export * from './unionpay';
export * from './bank-card';
export * from './test-keys';
export * from './channel-keys';
export * from './alipay-amount';
