import type { SettlementAmounts } from '@paystream/settlement/data-access';
import { Counter, Gauge, type Registry } from '@paystream/shared/observability';

/**
 * Booked payments and settlements. P_settlement and the settlement amounts are read from the
 * settlement tables at each scrape (so they survive restarts and agree with GET /settlement/stats);
 * the counters count since start.
 */
export class SettlementMetrics {
  readonly booked: Counter;
  readonly due: Counter;
  readonly completed: Counter;
  readonly failed: Counter;
  readonly refundsBooked: Counter;

  constructor(registry: Registry, pSettlement: () => Promise<number>, amounts: () => Promise<readonly SettlementAmounts[]> = async () => []) {
    const registers = [registry];
    this.booked = new Counter({ name: 'paystream_payments_booked_total', help: 'Payments booked in the ledger', registers });
    this.due = new Counter({ name: 'paystream_settlements_due_total', help: 'Settlements that became due', registers });
    this.completed = new Counter({ name: 'paystream_settlements_completed_total', help: 'Settlements paid out', registers });
    this.failed = new Counter({ name: 'paystream_settlements_failed_total', help: 'Settlements whose payout failed for good', registers });
    this.refundsBooked = new Counter({ name: 'paystream_refunds_booked_total', help: 'Refunds booked in the ledger', registers });
    new Gauge({
      name: 'paystream_p_settlement',
      help: 'P_settlement = completed / due settlements (all settlements in the settlement database)',
      registers,
      async collect() {
        try {
          this.set(await pSettlement());
        } catch {
          // the database is away: keep the last value rather than failing the whole scrape
        }
      },
    });
    new Gauge({
      name: 'paystream_settlement_amount_minor',
      help: 'Settlement amounts in minor units (fen) by currency, status (due, paying, completed, failed) and kind (gross, fee, refund, reserve, net; completed net = paid out), from the settlement database',
      labelNames: ['currency', 'status', 'kind'],
      registers,
      async collect() {
        let rows: readonly SettlementAmounts[];
        try {
          rows = await amounts();
        } catch {
          return; // the database is away: keep the last values
        }
        this.reset();
        for (const r of rows) {
          const kinds = { gross: r.grossMinor, fee: r.feeMinor, refund: r.refundMinor, reserve: r.reserveMinor, net: r.netMinor };
          for (const [kind, minor] of Object.entries(kinds)) {
            const sample = minorAsSample(minor);
            // a sum a float64 cannot hold exactly is left out rather than shown rounded
            if (sample !== undefined) this.set({ currency: r.currency, status: r.status.toLowerCase(), kind }, sample);
          }
        }
      },
    });
  }
}

/**
 * A minor-unit amount as a Prometheus sample (a float64), or undefined beyond 2^53 fen (about
 * CNY 90 trillion), where a float64 would round it.
 */
export function minorAsSample(minor: bigint): number | undefined {
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  return minor > limit || minor < -limit ? undefined : Number(minor);
}
