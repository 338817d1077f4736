export * from './risk-rules';
