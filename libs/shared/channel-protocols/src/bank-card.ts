import { createHmac } from 'node:crypto';

/** What may be kept of a card: a token, the BIN and the last four digits. Never the PAN or the CVV. */
export interface StoredCard {
  token: string;
  bin: string;
  last4: string;
}

const PAN_LENGTH_MIN = 12;
const PAN_LENGTH_MAX = 19;
const BIN_LENGTH = 6;

/** The Luhn (mod 10) check every card number passes. */
export function luhnValid(pan: string): boolean {
  if (!/^\d+$/.test(pan) || pan.length < PAN_LENGTH_MIN || pan.length > PAN_LENGTH_MAX) return false;
  let sum = 0;
  for (let i = 0; i < pan.length; i++) {
    let d = Number(pan[pan.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Replaces a PAN by what may be stored: a keyed token (HMAC-SHA256 with a secret from configuration,
 * so equal cards give equal tokens without the number being recoverable), the BIN and the last four.
 */
export function tokenizeCard(pan: string, tokenKey: string): StoredCard {
  const digits = pan.replace(/[\s-]/g, '');
  if (!luhnValid(digits)) throw new RangeError('not a valid card number');
  if (tokenKey.length < 16) throw new RangeError('the card token key must be at least 16 characters');
  return {
    token: `tok_${createHmac('sha256', tokenKey).update(digits).digest('hex').slice(0, 32)}`,
    bin: digits.slice(0, BIN_LENGTH),
    last4: digits.slice(-4),
  };
}
