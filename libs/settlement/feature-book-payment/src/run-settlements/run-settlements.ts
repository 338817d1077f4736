import { randomUUID } from 'node:crypto';
import { SettlementItemRepository } from '@paystream/settlement/data-access';
import type { Logger } from '@paystream/shared/observability';
import { inTransaction, type EntityManager } from '@paystream/shared/persistence';
import type { DataSource } from 'typeorm';
import type { SettleMerchant } from '../settle-merchant/settle-merchant';

export interface SettlementRunResult {
  runId: string;
  asOf: string;
  merchantId: string | null;
  settlementIds: string[];
  carriedForward: number;
  createdAt: string;
  replayed: boolean;
}

interface RunRow {
  id: string;
  as_of: string;
  merchant_id: string | null;
  settlement_ids: string[];
  carried_forward: number;
  created_at: Date;
}

/**
 * A settlement run as of a China date: every merchant with items due by then is settled (T+N
 * merchants on their schedule; real-time ones pick up what waited: a reversed payout, a reserve
 * released, a clawback netted). Runs with an Idempotency-Key answer a repeated key with the first
 * run's result; the scheduler's runs carry none.
 */
export class RunSettlements {
  constructor(
    private readonly items: SettlementItemRepository,
    private readonly settleMerchant: SettleMerchant,
    private readonly logger: Logger,
  ) {}

  /**
   * Settles every merchant with items due by asOf, each in its own transaction (a run holds one
   * merchant at a time, and one merchant's failure is logged and left for the next run).
   */
  async run(ds: DataSource, req: { asOf: string; merchantId?: string; idempotencyKey?: string }): Promise<SettlementRunResult> {
    const runId = randomUUID();
    if (req.idempotencyKey !== undefined) {
      const claimed: unknown[] = await ds.query(
        `INSERT INTO settlement_run (id, idempotency_key, as_of, merchant_id, orders, carried_forward) VALUES ($1, $2, $3, $4, 0, 0)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        [runId, req.idempotencyKey, req.asOf, req.merchantId ?? null],
      );
      if (claimed.length === 0) return this.replay(ds.manager, req.idempotencyKey);
    }
    const settlementIds: string[] = [];
    let carriedForward = 0;
    for (const m of await this.items.merchantsWithDueItems(ds.manager, req.asOf, req.merchantId)) {
      try {
        const outcome = await inTransaction(ds, (tx) => this.settleMerchant.settle(tx, m.merchantId, m.currency, req.asOf));
        if (outcome.kind === 'settled') settlementIds.push(outcome.settlement.id);
        else carriedForward++;
      } catch (error) {
        this.logger.error({ err: error, runId, merchantId: m.merchantId, asOf: req.asOf }, 'settling a merchant failed; left for the next run');
      }
    }
    if (req.idempotencyKey !== undefined) {
      await ds.query(`UPDATE settlement_run SET orders = $2, carried_forward = $3, settlement_ids = $4 WHERE id = $1`, [runId, settlementIds.length, carriedForward, settlementIds]);
    }
    return { runId, asOf: req.asOf, merchantId: req.merchantId ?? null, settlementIds, carriedForward, createdAt: new Date().toISOString(), replayed: false };
  }

  /** The run a key made, with what it asked for (the caller compares). */
  async findByKey(tx: EntityManager, key: string): Promise<SettlementRunResult | undefined> {
    const rows: RunRow[] = await tx.query(
      `SELECT id, to_char(as_of, 'YYYY-MM-DD') AS as_of, merchant_id, settlement_ids::text[] AS settlement_ids, carried_forward, created_at FROM settlement_run WHERE idempotency_key = $1`,
      [key],
    );
    const r = rows[0];
    return r && { runId: r.id, asOf: r.as_of, merchantId: r.merchant_id, settlementIds: r.settlement_ids, carriedForward: r.carried_forward, createdAt: r.created_at.toISOString(), replayed: true };
  }

  private async replay(tx: EntityManager, key: string): Promise<SettlementRunResult> {
    const seen = await this.findByKey(tx, key);
    if (!seen) throw new Error(`settlement run ${key} vanished`);
    return seen;
  }
}
