import { Client } from 'pg';
import type { AuditedDatabase, AuditTarget } from '../audit-target';
import type { GatewayTransactionRow, LedgerLine, PaymentItemRow, PaymentRow, RefundRow, SettlementRow, UnpublishedOutboxRow } from '../checks/snapshot';

/** How long connecting to one database may take before the audit gives up (exit 2). */
const DATABASE_CONNECT_TIMEOUT_MS = 10_000;

export interface DatabaseSnapshot {
  payments: PaymentRow[];
  refunds: RefundRow[];
  gatewayTransactions: GatewayTransactionRow[];
  ledger: LedgerLine[];
  paymentItems: PaymentItemRow[];
  settlements: SettlementRow[];
  unpublishedOutbox: UnpublishedOutboxRow[];
}

type Row = Record<string, string | null>;
const text = (r: Row, column: string): string => {
  const v = r[column];
  if (v === null || v === undefined) throw new Error(`column ${column} is null`);
  return String(v).trim();
};

/** Runs read-only queries against one service's database, in one repeatable-read snapshot. */
async function withDatabase<T>(target: AuditTarget, db: AuditedDatabase, read: (query: (sql: string) => Promise<Row[]>) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: target.databases[db],
    connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
    // no statement_timeout: these are whole-table reads in one read-only snapshot, as long as the tables are
    application_name: 'paystream-auditor',
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
  });
  await client.connect();
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await read(async (sql) => (await client.query<Row>(sql)).rows);
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

const unpublished = (service: AuditedDatabase) => async (query: (sql: string) => Promise<Row[]>) =>
  (await query(`SELECT id::text, topic FROM outbox_event WHERE published_at IS NULL ORDER BY seq`)).map((r) => ({ service, id: text(r, 'id'), topic: text(r, 'topic') }));

/** Reads what the auditor needs from the four services' databases (each its own tables, as its migrations made them). */
export async function readDatabases(target: AuditTarget): Promise<DatabaseSnapshot> {
  const orderPayment = withDatabase(target, 'order-payment', async (q) => ({
    payments: (await q(`SELECT id::text, order_id, merchant_id, amount_minor::text, currency, status FROM payment`)).map((r) => ({
      id: text(r, 'id'),
      orderId: text(r, 'order_id'),
      merchantId: text(r, 'merchant_id'),
      amountMinor: BigInt(text(r, 'amount_minor')),
      currency: text(r, 'currency'),
      status: text(r, 'status'),
    })),
    refunds: (await q(`SELECT id::text, payment_id::text, amount_minor::text, currency, status FROM refund`)).map((r) => ({
      id: text(r, 'id'),
      paymentId: text(r, 'payment_id'),
      amountMinor: BigInt(text(r, 'amount_minor')),
      currency: text(r, 'currency'),
      status: text(r, 'status') as RefundRow['status'],
    })),
    outbox: await unpublished('order-payment')(q),
  }));
  const gateway = withDatabase(target, 'channel-gateway', async (q) => ({
    transactions: (await q(`SELECT payment_id::text, order_id, merchant_id, channel, amount_minor::text, currency, status FROM channel_transaction`)).map((r) => ({
      paymentId: text(r, 'payment_id'),
      orderId: text(r, 'order_id'),
      merchantId: text(r, 'merchant_id'),
      channel: text(r, 'channel'),
      amountMinor: BigInt(text(r, 'amount_minor')),
      currency: text(r, 'currency'),
      status: text(r, 'status'),
    })),
    outbox: await unpublished('channel-gateway')(q),
  }));
  const risk = withDatabase(target, 'risk', unpublished('risk'));
  const settlement = withDatabase(target, 'settlement', async (q) => ({
    // a LEFT JOIN: a line planted without its transaction row is still a line of the ledger
    ledger: (
      await q(`SELECT e.transaction_id::text, COALESCE(t.kind, '?') AS kind, COALESCE(t.reference, '?') AS reference, e.account_id, e.amount_minor::text, e.currency
                 FROM ledger_entry e LEFT JOIN ledger_transaction t ON t.id = e.transaction_id ORDER BY e.id`)
    ).map((r) => ({
      transactionId: text(r, 'transaction_id'),
      kind: text(r, 'kind'),
      reference: text(r, 'reference'),
      accountId: text(r, 'account_id'),
      amountMinor: BigInt(text(r, 'amount_minor')),
      currency: text(r, 'currency'),
    })),
    items: (await q(`SELECT reference, merchant_id, currency, fee_minor::text FROM settlement_item WHERE kind = 'payment'`)).map((r) => ({
      paymentId: text(r, 'reference'),
      merchantId: text(r, 'merchant_id'),
      currency: text(r, 'currency'),
      feeMinor: BigInt(text(r, 'fee_minor')),
    })),
    settlements: (await q(`SELECT id::text, merchant_id, currency, net_minor::text, status, payout_account_no FROM settlement_batch`)).map((r) => ({
      id: text(r, 'id'),
      merchantId: text(r, 'merchant_id'),
      currency: text(r, 'currency'),
      netMinor: BigInt(text(r, 'net_minor')),
      status: text(r, 'status'),
      ...(r.payout_account_no ? { accountLast4: r.payout_account_no.slice(-4) } : {}),
    })),
    outbox: await unpublished('settlement')(q),
  }));
  const [op, gw, rk, st] = await Promise.all([orderPayment, gateway, risk, settlement]);
  return {
    payments: op.payments,
    refunds: op.refunds,
    gatewayTransactions: gw.transactions,
    ledger: st.ledger,
    paymentItems: st.items,
    settlements: st.settlements,
    unpublishedOutbox: [...op.outbox, ...gw.outbox, ...rk, ...st.outbox],
  };
}
