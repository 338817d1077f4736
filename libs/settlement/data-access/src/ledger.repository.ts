import { randomUUID } from 'node:crypto';
import { accountKind, isBalanced, merchantPayable, merchantReserve, type Posting } from '@paystream/settlement/domain';
import { scopedMerchantId, type TenantScope } from '@paystream/shared/auth';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';
import { CACHED_ACCOUNT_KINDS } from './settlement-terms.migration';

/** The double-entry ledger: transactions are written once, balanced, and never changed. */
export class LedgerRepository {
  /**
   * Posts a transaction unless one of this kind and reference exists (so booking the same payment
   * twice books it once); returns whether it was posted.
   */
  async post(tx: EntityManager, kind: string, reference: string, unsorted: readonly Posting[]): Promise<boolean> {
    if (!isBalanced(unsorted)) throw new Error(`refusing an unbalanced ${kind} transaction for ${reference}`);
    // one order for the row locks the cached balances take, whatever the caller's order
    const postings = [...unsorted].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
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

  /** A merchant account's balance (debit positive) from its cached balance, which the database keeps per entry; 0 for an account with no entries. */
  async balance(tx: EntityManager, accountId: string): Promise<bigint> {
    if (!['merchant_payable', 'merchant_reserve'].includes(accountKind(accountId))) throw new Error(`${accountId} has no cached balance`);
    const rows: { balance_minor: string }[] = await tx.query(`SELECT balance_minor FROM ledger_account WHERE id = $1`, [accountId]);
    return rows[0] ? toBigInt(rows[0].balance_minor) : 0n;
  }

  /** Every account (payable, reserve) of one merchant in the scope with its balance and currency: none of a merchant out of scope. */
  async merchantAccounts(tx: EntityManager, scope: TenantScope, merchantId: string): Promise<{ accountId: string; kind: string; currency: string; balanceMinor: bigint }[]> {
    const own = scopedMerchantId(scope);
    const rows: { id: string; kind: string; currency: string; balance_minor: string }[] = await tx.query(
      `SELECT id, kind, currency, balance_minor FROM ledger_account WHERE id IN ($1, $2) AND ($3::text IS NULL OR id IN ($4, $5)) ORDER BY id`,
      [merchantPayable(merchantId), merchantReserve(merchantId), own, own === null ? null : merchantPayable(own), own === null ? null : merchantReserve(own)],
    );
    return rows.map((r) => ({ accountId: r.id, kind: r.kind, currency: r.currency.trim(), balanceMinor: toBigInt(r.balance_minor) }));
  }

  /** Balances of all accounts by kind and currency (the platform's view: clearing, cost, fees, in flight). */
  async balancesByKind(tx: EntityManager): Promise<{ kind: string; currency: string; balanceMinor: string }[]> {
    const rows: { kind: string; currency: string; total: string }[] = await tx.query(
      `SELECT a.kind, e.currency, sum(e.amount_minor)::text AS total FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id GROUP BY a.kind, e.currency ORDER BY a.kind, e.currency`,
    );
    return rows.map((r) => ({ kind: r.kind, currency: r.currency.trim(), balanceMinor: r.total }));
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
    // the cached balances must equal the entries they derive from
    const drifted: { id: string }[] = await tx.query(
      `SELECT a.id FROM ledger_account a LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger_entry GROUP BY account_id) e ON e.account_id = a.id
        WHERE a.kind IN (${CACHED_ACCOUNT_KINDS}) AND a.balance_minor <> COALESCE(e.total, 0) LIMIT 10`,
    );
    const totalsByCurrency = Object.fromEntries(totals.map((t) => [t.currency.trim(), t.total]));
    return {
      balanced: totals.every((t) => t.total === '0') && unbalanced.length === 0 && drifted.length === 0,
      cachedBalancesDrifted: drifted.map((d) => d.id),
      totalsByCurrency,
      unbalancedTransactions: unbalanced.map((u) => u.id),
      transactions: counts?.transactions ?? 0,
      entries: counts?.entries ?? 0,
    };
  }
}
