/**
 * What the auditor reports: one violation per broken invariant, with a stable code and the ids a
 * person needs to find it (orders, trades, settlements, ledger transactions).
 */
export const VIOLATION_CODES = [
  // 1. orders and their outcomes
  'ORDER_NO_OUTCOME',
  'ORDER_CONFLICTING_OUTCOMES',
  'ORDER_STATE_MISMATCH',
  'OUTCOME_WITHOUT_ORDER',
  // 2. charges at the channels
  'DOUBLE_CHARGE',
  'CHARGE_UNKNOWN_TO_GATEWAY',
  'CHARGE_WITHOUT_SUCCESS',
  'SUCCESS_WITHOUT_CHARGE',
  'CAPTURE_MISMATCH',
  // 3. refunds at the channels
  'REFUND_EXCEEDS_CAPTURE',
  'REFUND_DUPLICATE',
  'REFUND_MISMATCH',
  // 4. the ledger and the merchants' balances
  'LEDGER_TRANSACTION_UNBALANCED',
  'LEDGER_UNBALANCED',
  'MERCHANT_BALANCE_MISMATCH',
  // 5. payouts at the bank
  'DOUBLE_PAYOUT',
  'PAYOUT_WITHOUT_SETTLEMENT',
  'PAYOUT_MISSING_AT_BANK',
  'PAYOUT_AMOUNT_MISMATCH',
  'PAYOUT_NOT_BOOKED',
  'PAYOUT_REVERSED_BUT_PAID',
  // 6. the stack drained
  'CONSUMER_LAG',
  'OUTBOX_UNPUBLISHED',
  'DEAD_LETTER_UNEXPECTED',
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export interface Violation {
  code: ViolationCode;
  message: string;
  ids: string[];
}

/** Ids listed on one violation line at most (the count is in the message). */
export const VIOLATION_IDS_LISTED_MAX = 20;

export function violation(code: ViolationCode, message: string, ids: readonly string[]): Violation {
  return { code, message, ids: [...new Set(ids)].slice(0, VIOLATION_IDS_LISTED_MAX) };
}

/** Adds an amount to a per-key total (bigint, no floats). */
export function addTo<K>(totals: Map<K, bigint>, key: K, amountMinor: bigint): void {
  totals.set(key, (totals.get(key) ?? 0n) + amountMinor);
}

/** Groups rows by a key, keeping their order. */
export function groupBy<T, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
