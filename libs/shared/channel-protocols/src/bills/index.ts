export { BILL_CURRENCY, tradesForBill } from './bill-types';
export { DAY_MS, beijingDayStart, isOnBeijingDay, parseBeijingTime } from './beijing-time';
export type { BillChannel, BillKind, BillRow, BillTrade } from './bill-types';
export { BillFormatError, FEN_PER_YUAN, fenToYuan, yuanToFen } from './yuan';
export { ZipFormatError, unzipFiles, zipFiles } from './zip';
export type { DosDateTime, UnzipOptions, ZipEntry } from './zip';
export { ALIPAY_BILL_ACCOUNT_SUFFIX, ALIPAY_BILL_DETAIL_HEADER, ALIPAY_BILL_SUMMARY_HEADER, alipayBillZip, readAlipayBill, readAlipayBillTotals } from './alipay-bill';
export type { AlipayBillOptions, AlipayBillTotals } from './alipay-bill';
export {
  WECHATPAY_TRADE_BILL_HEADER,
  WECHATPAY_TRADE_BILL_SUMMARY_HEADER,
  readWechatpayTradeBill,
  readWechatpayTradeBillTotals,
  wechatpayBillHash,
  wechatpayTradeBill,
} from './wechatpay-bill';
export type { WechatpayBillTotals } from './wechatpay-bill';
