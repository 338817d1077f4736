import { Money, parseMajor } from '@paystream/shared/money';

/** Alipay carries amounts in yuan with two decimals ("88.88"); Paystream in fen. */
export function alipayAmount(minor: bigint): string {
  return Money.of(minor, 'CNY').toMajorString();
}

/** Fen from an Alipay amount; throws on anything that is not a yuan amount with at most two decimals. */
export function fenFromAlipayAmount(yuan: string): bigint {
  return parseMajor(yuan, 'CNY').minor;
}
