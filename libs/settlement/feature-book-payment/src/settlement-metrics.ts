import { Counter, Gauge, type Registry } from '@paystream/shared/observability';

/** Booked payments and settlements; P_settlement = completed / due settlements since start. */
export class SettlementMetrics {
  readonly booked: Counter;
  readonly due: Counter;
  readonly completed: Counter;
  readonly failed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.booked = new Counter({ name: 'paystream_payments_booked_total', help: 'Payments booked in the ledger', registers });
    const due = (this.due = new Counter({ name: 'paystream_settlements_due_total', help: 'Settlements that became due', registers }));
    const completed = (this.completed = new Counter({ name: 'paystream_settlements_completed_total', help: 'Settlements paid out', registers }));
    this.failed = new Counter({ name: 'paystream_settlements_failed_total', help: 'Settlements whose payout failed for good', registers });
    new Gauge({
      name: 'paystream_p_settlement',
      help: 'P_settlement = completed / due settlements, since start',
      registers,
      async collect() {
        const d = (await due.get()).values[0]?.value ?? 0;
        const c = (await completed.get()).values[0]?.value ?? 0;
        this.set(d === 0 ? 0 : c / d);
      },
    });
  }
}

