import { Counter, Gauge, type Registry } from '@paystream/shared/observability';

/**
 * Booked payments and settlements. P_settlement is read from the settlement tables at each scrape
 * (so it survives restarts and agrees with GET /settlement/stats); the counters count since start.
 */
export class SettlementMetrics {
  readonly booked: Counter;
  readonly due: Counter;
  readonly completed: Counter;
  readonly failed: Counter;
  readonly refundsBooked: Counter;

  constructor(registry: Registry, pSettlement: () => Promise<number>) {
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
  }
}
