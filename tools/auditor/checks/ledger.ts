import type { AuditSnapshot } from './snapshot';
import { addTo, groupBy, violation, type Violation } from './violation';

/**
 * The ledger sums to zero: every transaction balances per currency, and so does the whole ledger.
 * The database refuses an unbalanced transaction at commit; this sees one that got past it (the
 * check disabled, a replica's triggers off, a hand-made row).
 */
export function checkLedger(s: Pick<AuditSnapshot, 'ledger'>): { violations: Violation[]; summary: { balanced: boolean } } {
  const violations: Violation[] = [];
  const unbalanced: string[] = [];
  for (const [key, lines] of groupBy(s.ledger, (l) => `${l.transactionId} ${l.currency}`)) {
    const sum = lines.reduce((a, l) => a + l.amountMinor, 0n);
    if (sum === 0n) continue;
    const { transactionId, kind, reference, currency } = lines[0]!;
    unbalanced.push(transactionId);
    violations.push(violation('LEDGER_TRANSACTION_UNBALANCED', `ledger transaction ${transactionId} (${kind} ${reference}) is off by ${sum} ${currency}`, [key.split(' ')[0]!]));
  }
  const totals = new Map<string, bigint>();
  for (const l of s.ledger) addTo(totals, l.currency, l.amountMinor);
  for (const [currency, total] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    if (total !== 0n) violations.push(violation('LEDGER_UNBALANCED', `the ledger's ${currency} accounts sum to ${total}, not zero`, [currency, ...unbalanced]));
  }
  return { violations, summary: { balanced: violations.length === 0 } };
}
