/**
 * Fen (integer minor units, bigint) to and from the yuan strings the bill files carry.
 * Pure string and bigint arithmetic: a float would round 0.07 or 1e12 fen on the way through,
 * and a bill that is off by a fen fails reconciliation.
 */
export const FEN_PER_YUAN = 100n;
const YUAN_DECIMALS = 2;
/** An optional minus, an integer part without leading zeros, and at most two decimals. */
const YUAN_PATTERN = /^(-?)(0|[1-9]\d*)(?:\.(\d{1,2}))?$/;

/** Thrown when a bill field is not what the format says; carries the offending text. */
export class BillFormatError extends Error {
  override readonly name = 'BillFormatError';
}

/** 12345n -> "123.45", 5n -> "0.05", -5n -> "-0.05": always two decimals, as both channels print amounts. */
export function fenToYuan(fen: bigint): string {
  const negative = fen < 0n;
  const magnitude = negative ? -fen : fen;
  const whole = magnitude / FEN_PER_YUAN;
  const cents = (magnitude % FEN_PER_YUAN).toString().padStart(YUAN_DECIMALS, '0');
  return `${negative ? '-' : ''}${whole}.${cents}`;
}

/** "123.45" -> 12345n, "-0.05" -> -5n, "3" -> 300n; anything else (3 decimals, exponent, spaces, garbage) throws. */
export function yuanToFen(yuan: string): bigint {
  const m = YUAN_PATTERN.exec(yuan);
  if (!m) throw new BillFormatError(`not a yuan amount with at most ${YUAN_DECIMALS} decimals: ${JSON.stringify(yuan)}`);
  const [, sign, whole, decimals = ''] = m;
  const fen = BigInt(whole) * FEN_PER_YUAN + BigInt(decimals.padEnd(YUAN_DECIMALS, '0'));
  return sign === '-' ? -fen : fen;
}
