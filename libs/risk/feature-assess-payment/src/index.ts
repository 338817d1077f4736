export * from './assess-payment.module';
