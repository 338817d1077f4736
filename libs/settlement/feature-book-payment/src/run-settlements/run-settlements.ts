import { randomUUID } from 'node:crypto';
import { SettlementItemRepository } from '@paystream/settlement/data-access';
import { Actors, appendAudit, last4, type Actor } from '@paystream/shared/audit-log';
import type { Logger } from '@paystream/shared/observability';
import { affectedRows, inTransaction, type EntityManager } from '@paystream/shared/persistence';
import type { DataSource } from 'typeorm';
import type { SettleMerchant } from '../settle-merchant/settle-merchant';

/** The actor of the scheduler's runs in the audit log. */
export const SETTLEMENT_SCHEDULER_ACTOR: Actor = Actors.system('settlement-scheduler');

/** How long a run's Idempotency-Key claim may stay in progress before a request with that key takes it over (its process is presumed dead). */
export const SETTLEMENT_RUN_CLAIM_STALE_MS = 5 * 60_000;

export interface SettlementRunResult {
  runId: string;
  asOf: string;
  merchantId: string | null;
  /** Who asked for the run (`<kind>:<id>`); null for the scheduler's unkeyed runs. */
  requestedBy: string | null;
  settlementIds: string[];
  carriedForward: number;
  createdAt: string;
  replayed: boolean;
}

export interface SettlementRunRequest {
  asOf: string;
  merchantId?: string;
}

/**
 * What a run with an Idempotency-Key came to: run now (a new key, or a stale claim taken over), the
 * completed run's result replayed, the key's run still in progress elsewhere, or the key already
 * used for a different request.
 */
export type KeyedRunOutcome =
  | { kind: 'ran'; result: SettlementRunResult }
  | { kind: 'replayed'; result: SettlementRunResult }
  | { kind: 'in_progress' }
  | { kind: 'key_reused' };

interface RunRow {
  id: string;
  as_of: string;
  merchant_id: string | null;
  requested_by: string | null;
  status: 'in_progress' | 'completed';
  settlement_ids: string[];
  carried_forward: number;
  created_at: Date;
}

/**
 * A settlement run as of a China date: every merchant with items due by then is settled (T+N
 * merchants on their schedule; real-time ones pick up what waited: a reversed payout, a reserve
 * released, a clawback netted). Runs with an Idempotency-Key claim the key first (in progress), then
 * record the result with it (completed); the scheduler's runs carry none.
 */
export class RunSettlements {
  constructor(
    private readonly items: SettlementItemRepository,
    private readonly settleMerchant: SettleMerchant,
    private readonly logger: Logger,
    private readonly claimStaleMs: number = SETTLEMENT_RUN_CLAIM_STALE_MS,
  ) {}

  /** A run without a key (the scheduler's). */
  async run(ds: DataSource, req: SettlementRunRequest, actor: Actor = SETTLEMENT_SCHEDULER_ACTOR): Promise<SettlementRunResult> {
    const runId = randomUUID();
    const done = await this.settleDue(ds, runId, req, actor);
    return { runId, asOf: req.asOf, merchantId: req.merchantId ?? null, requestedBy: null, ...done, createdAt: new Date().toISOString(), replayed: false };
  }

  /**
   * A run once per principal and Idempotency-Key (a key is its requester's own: the same key of
   * another principal is another run). The key is claimed in progress before the run (a claim older
   * than claimStaleMs is taken over under a new runId, as its process is presumed dead; redoing a run
   * is safe as every item is claimed by one settlement), and completed with the result after it.
   */
  async runWithKey(ds: DataSource, req: SettlementRunRequest, key: string, actor: Actor): Promise<KeyedRunOutcome> {
    const runId = randomUUID();
    const merchantId = req.merchantId ?? null;
    const requestedBy = Actors.format(actor);
    const claimed: { created_at: Date; taken_over: boolean }[] = await ds.query(
      `INSERT INTO settlement_run (id, idempotency_key, requested_by, as_of, merchant_id, orders, carried_forward, status, claimed_at)
       VALUES ($1, $2, $6, $3, $4, 0, 0, 'in_progress', now())
       ON CONFLICT (requested_by, idempotency_key) DO UPDATE SET id = EXCLUDED.id, claimed_at = now()
        WHERE settlement_run.status = 'in_progress' AND settlement_run.claimed_at < now() - make_interval(secs => $5::double precision / 1000)
          AND settlement_run.as_of = EXCLUDED.as_of AND settlement_run.merchant_id IS NOT DISTINCT FROM EXCLUDED.merchant_id
       RETURNING created_at, (xmax <> 0) AS taken_over`,
      [runId, key, req.asOf, merchantId, this.claimStaleMs, requestedBy],
    );
    if (claimed.length === 0) return this.existing(ds.manager, key, requestedBy, req);
    if (claimed[0]!.taken_over) this.logger.warn({ runId, key, asOf: req.asOf, merchantId }, 'settlement run claim left in progress took over; the run is redone');
    let done: { settlementIds: string[]; carriedForward: number };
    try {
      done = await this.settleDue(ds, runId, req, actor);
    } catch (error) {
      // nothing was settled past what is committed per merchant; the key is freed so a retry redoes the run
      await ds.query(`DELETE FROM settlement_run WHERE id = $1 AND status = 'in_progress'`, [runId]);
      throw error;
    }
    const completed = await inTransaction(ds, async (tx) => {
      const updated = affectedRows(
        await tx.query(
          `UPDATE settlement_run SET status = 'completed', completed_at = now(), orders = $2, carried_forward = $3, settlement_ids = $4 WHERE id = $1 AND status = 'in_progress'`,
          [runId, done.settlementIds.length, done.carriedForward, done.settlementIds],
        ),
      );
      if (updated === 1) {
        await appendAudit(tx, {
          actor,
          action: 'settlement_run.completed',
          subject: `settlement_run:${runId}`,
          details: { asOf: req.asOf, merchantId, idempotencyKey: key, settlementIds: done.settlementIds, carriedForward: done.carriedForward },
        });
      }
      return updated;
    });
    if (completed !== 1) this.logger.warn({ runId, key }, 'settlement run finished after its claim was taken over; its settlements stand, the key keeps the later run');
    return { kind: 'ran', result: { runId, asOf: req.asOf, merchantId, requestedBy, ...done, createdAt: claimed[0]!.created_at.toISOString(), replayed: false } };
  }

  /** The run a principal's key made, with what it asked for and whether it is done. */
  async findByKey(tx: EntityManager, key: string, requestedBy: string): Promise<(SettlementRunResult & { completed: boolean }) | undefined> {
    const rows: RunRow[] = await tx.query(
      `SELECT id, to_char(as_of, 'YYYY-MM-DD') AS as_of, merchant_id, requested_by, status, settlement_ids::text[] AS settlement_ids, carried_forward, created_at
         FROM settlement_run WHERE idempotency_key = $1 AND requested_by = $2`,
      [key, requestedBy],
    );
    const r = rows[0];
    return (
      r && {
        runId: r.id,
        asOf: r.as_of,
        merchantId: r.merchant_id,
        requestedBy: r.requested_by,
        settlementIds: r.settlement_ids,
        carriedForward: r.carried_forward,
        createdAt: r.created_at.toISOString(),
        replayed: true,
        completed: r.status === 'completed',
      }
    );
  }

  private async existing(tx: EntityManager, key: string, requestedBy: string, req: SettlementRunRequest): Promise<KeyedRunOutcome> {
    const seen = await this.findByKey(tx, key, requestedBy);
    if (!seen) throw new Error(`settlement run ${key} vanished`);
    if (seen.asOf !== req.asOf || seen.merchantId !== (req.merchantId ?? null)) return { kind: 'key_reused' };
    if (!seen.completed) return { kind: 'in_progress' };
    const { completed: _completed, ...result } = seen;
    return { kind: 'replayed', result };
  }

  /**
   * Settles every merchant with items due by asOf, each in its own transaction (a run holds one
   * merchant at a time, and one merchant's failure is logged and left for the next run).
   */
  private async settleDue(ds: DataSource, runId: string, req: SettlementRunRequest, actor: Actor): Promise<{ settlementIds: string[]; carriedForward: number }> {
    const settlementIds: string[] = [];
    let carriedForward = 0;
    for (const m of await this.items.merchantsWithDueItems(ds.manager, req.asOf, req.merchantId)) {
      try {
        const outcome = await inTransaction(ds, async (tx) => {
          const settled = await this.settleMerchant.settle(tx, m.merchantId, m.currency, req.asOf);
          if (settled.kind === 'settled') {
            const s = settled.settlement;
            await appendAudit(tx, {
              actor,
              action: 'settlement.created',
              subject: `settlement:${s.id}`,
              details: { runId, asOf: req.asOf, merchantId: s.merchantId, currency: s.currency, netMinor: s.netMinor, paymentCount: s.paymentCount, payoutAccountLast4: s.payoutAccountNo && last4(s.payoutAccountNo) },
            });
          }
          return settled;
        });
        if (outcome.kind === 'settled') settlementIds.push(outcome.settlement.id);
        else carriedForward++;
      } catch (error) {
        this.logger.error({ err: error, runId, merchantId: m.merchantId, asOf: req.asOf }, 'settling a merchant failed; left for the next run');
      }
    }
    return { settlementIds, carriedForward };
  }
}
