import { SUPPORTED_CURRENCIES } from '@paystream/contracts';
import { Counter, Gauge, type Registry } from '@paystream/shared/observability';
import { BREAK_KINDS, type BreakKind } from './match/reconciliation-matcher';
import { RECONCILED_CHANNELS } from './reconcile-settings';

/**
 * Reconciliation's metrics. The open breaks and the time of the last completed run are read from the database at
 * each scrape (they survive restarts and agree with the API); matched rows are counted per run since start, refunds cleared once each.
 */
export class ReconciliationMetrics {
  readonly matched: Counter;
  readonly runs: Counter;
  readonly refundsCleared: Counter;
  readonly refundsClearedAmount: Counter;

  constructor(
    registry: Registry,
    openBreaks: () => Promise<{ channel: string; kind: BreakKind; count: number }[]>,
    lastRuns: () => Promise<{ channel: string; seconds: number }[]>,
  ) {
    const registers = [registry];
    this.matched = new Counter({ name: 'paystream_reconciliation_matched_total', help: 'Bill rows reconciliation matched with our records and the ledger, per run (a re-run counts again)', labelNames: ['channel'], registers });
    this.runs = new Counter({ name: 'paystream_reconciliation_runs_total', help: 'Reconciliation runs by channel and outcome (completed, failed)', labelNames: ['channel', 'outcome'], registers });
    this.refundsCleared = new Counter({ name: 'paystream_reconciliation_refunds_cleared_total', help: 'Refunds booked cleared (refunds in flight -> channel clearing) once their bill row matched, each once', labelNames: ['channel'], registers });
    this.refundsClearedAmount = new Counter({ name: 'paystream_reconciliation_refunds_cleared_amount_minor_total', help: 'The amount of the refunds booked cleared, in minor units', labelNames: ['channel', 'currency'], registers });
    for (const channel of RECONCILED_CHANNELS) {
      this.matched.inc({ channel }, 0);
      this.refundsCleared.inc({ channel }, 0);
      // the dashboard's refunds-cleared amount has a series from the start, as the count has
      for (const currency of SUPPORTED_CURRENCIES) this.refundsClearedAmount.inc({ channel, currency }, 0);
    }
    new Gauge({
      name: 'paystream_reconciliation_breaks',
      help: 'Open reconciliation breaks by channel and kind (missing_ours, missing_channel, amount_mismatch, status_mismatch)',
      labelNames: ['channel', 'kind'],
      registers,
      async collect() {
        let rows: { channel: string; kind: BreakKind; count: number }[];
        try {
          rows = await openBreaks();
        } catch {
          return; // the database is away: keep the last values
        }
        for (const channel of RECONCILED_CHANNELS) for (const kind of BREAK_KINDS) this.set({ channel, kind }, 0);
        for (const r of rows) this.set({ channel: r.channel, kind: r.kind }, r.count);
      },
    });
    new Gauge({
      name: 'paystream_reconciliation_last_run_timestamp_seconds',
      help: 'When the last completed reconciliation run of a channel finished (Unix seconds)',
      labelNames: ['channel'],
      registers,
      async collect() {
        try {
          for (const r of await lastRuns()) this.set({ channel: r.channel }, r.seconds);
        } catch {
          // the database is away: keep the last values
        }
      },
    });
  }
}
