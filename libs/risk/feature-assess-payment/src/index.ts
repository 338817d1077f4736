export * from './assess-payment.module';
export * from './identity';
