export * from './bills.module';
export * from './bill-download';
export * from './alipay-bill.downloader';
export * from './wechatpay-bill.downloader';
