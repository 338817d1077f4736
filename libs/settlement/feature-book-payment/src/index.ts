export * from './book-payment.module';
export * from './settlement-metrics';
export * from './settle-merchant/settle-merchant';
export * from './run-settlements/run-settlements';
export * from './run-settlements/settlement-scheduler';
export * from './query-settlements/settlement-statement';
