import { randomUUID } from 'node:crypto';
import { accountKind, isBalanced, type Posting } from '@paystream/settlement/domain';
import type { EntityManager } from '@paystream/shared/persistence';

/** The double-entry ledger: transactions are written once, balanced, and never changed. */
export class LedgerRepository {
  /**
   * Posts a transaction unless one of this kind and reference exists (so booking the same payment
   * twice books it once); returns whether it was posted.
   */
  async post(tx: EntityManager, kind: string, reference: string, postings: readonly Posting[]): Promise<boolean> {
    if (!isBalanced(postings)) throw new Error(`refusing an unbalanced ${kind} transaction for ${reference}`);
    const id = randomUUID();
    const created: unknown[] = await tx.query(
      `INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, $2, $3) ON CONFLICT (kind, reference) DO NOTHING RETURNING id`,
      [id, kind, reference],
    );
    if (created.length === 0) return false;
    if (postings.length > 0) {
      const accounts = postings.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ');
      await tx.query(
        `INSERT INTO ledger_account (id, kind, currency) VALUES ${accounts} ON CONFLICT (id) DO NOTHING`,
        postings.flatMap((p) => [p.accountId, accountKind(p.accountId), p.currency]),
      );
    }
    if (postings.length > 0) {
      const values = postings.map((_, i) => `($1, $${i * 3 + 2}, $${i * 3 + 3}, $${i * 3 + 4})`).join(', ');
      await tx.query(
        `INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES ${values}`,
        [id, ...postings.flatMap((p) => [p.accountId, p.amountMinor.toString(), p.currency])],
      );
    }
    return true;
  }

  /** The audit: every currency sums to zero over all entries (and so every account set balances). */
  async check(tx: EntityManager) {
    const totals: { currency: string; total: string }[] = await tx.query(`SELECT currency, sum(amount_minor)::text AS total FROM ledger_entry GROUP BY currency`);
    const [counts]: { transactions: number; entries: number }[] = await tx.query(
      `SELECT (SELECT count(*)::int FROM ledger_transaction) AS transactions, (SELECT count(*)::int FROM ledger_entry) AS entries`,
    );
    const unbalanced: { id: string }[] = await tx.query(
      `SELECT transaction_id AS id FROM ledger_entry GROUP BY transaction_id, currency HAVING sum(amount_minor) <> 0 LIMIT 10`,
    );
    const totalsByCurrency = Object.fromEntries(totals.map((t) => [t.currency.trim(), t.total]));
    return {
      balanced: totals.every((t) => t.total === '0') && unbalanced.length === 0,
      totalsByCurrency,
      unbalancedTransactions: unbalanced.map((u) => u.id),
      transactions: counts?.transactions ?? 0,
      entries: counts?.entries ?? 0,
    };
  }
}
