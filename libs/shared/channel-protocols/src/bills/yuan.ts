import { Money, parseMajor } from '@paystream/shared/money';

/**
 * Fen (integer minor units, bigint) to and from the yuan strings the bill files carry, through the
 * shared Money arithmetic (no floats: a bill that is off by a fen fails reconciliation).
 */
export const FEN_PER_YUAN = 100n;
/** Bills are printed in yuan with two decimals: a trade in another currency cannot be put into one. */
export const BILL_CURRENCY = 'CNY';

/** Thrown when a bill field is not what the format says; carries the offending text. */
export class BillFormatError extends Error {
  override readonly name = 'BillFormatError';
}

/** 12345n -> "123.45", 5n -> "0.05", -5n -> "-0.05": always two decimals, as Alipay and WeChat Pay print amounts. */
export function fenToYuan(fen: bigint): string {
  return Money.of(fen, BILL_CURRENCY).toMajorString();
}

/** "123.45" -> 12345n, "-0.05" -> -5n, "3" -> 300n; anything else (3 decimals, exponent, spaces, garbage) throws. */
export function yuanToFen(yuan: string): bigint {
  try {
    return parseMajor(yuan, BILL_CURRENCY).minor;
  } catch (error) {
    throw new BillFormatError(`not a yuan amount with at most two decimals: ${JSON.stringify(yuan)} (${(error as Error).message})`);
  }
}
