export * from './merchant-tables.migration';
