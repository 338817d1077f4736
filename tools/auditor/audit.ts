import { Money } from '@paystream/shared/money';
import type { AuditTarget } from './audit-target';
import { checkCharges } from './checks/charges';
import { checkDrained } from './checks/drained';
import { checkLedger } from './checks/ledger';
import { checkMerchantBalances } from './checks/merchant-balances';
import { checkOrders } from './checks/orders';
import { checkPayouts } from './checks/payouts';
import { checkRefunds } from './checks/refunds';
import type { AuditSnapshot } from './checks/snapshot';
import type { Violation } from './checks/violation';
import { readDatabases } from './readers/database-reader';
import { readEmulatorBooks } from './readers/emulator-reader';
import { readKafka } from './readers/kafka-reader';

export interface AuditSummary {
  orders: number;
  succeeded: number;
  failed: number;
  /** Captured at the channels, per currency (minor units). */
  capturedMinor: Record<string, bigint>;
  refunds: number;
  payouts: number;
  ledgerBalanced: boolean;
}

export interface AuditReport {
  ok: boolean;
  violations: Violation[];
  summary: AuditSummary;
  /** What the CLI prints: the verdict line, or one line per violation and a summary line. */
  lines: string[];
}

/** Runs every check on a snapshot (pure). */
export function runChecks(s: AuditSnapshot): AuditReport {
  const orders = checkOrders(s);
  const charges = checkCharges(s);
  const refunds = checkRefunds(s);
  const ledger = checkLedger(s);
  const payouts = checkPayouts(s);
  const violations = [...orders.violations, ...charges.violations, ...refunds.violations, ...ledger.violations, ...checkMerchantBalances(s), ...payouts.violations, ...checkDrained(s)];
  const summary: AuditSummary = {
    ...orders.summary,
    capturedMinor: Object.fromEntries(charges.summary.capturedMinor),
    refunds: refunds.summary.count,
    payouts: payouts.summary.payouts,
    ledgerBalanced: ledger.summary.balanced,
  };
  return { ok: violations.length === 0, violations, summary, lines: reportLines(violations, summary) };
}

/** `CNY 123.45` per currency, CNY alone (0.00) when nothing was captured. */
function amounts(byCurrency: Record<string, bigint>): string {
  const entries = Object.entries(byCurrency).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'CNY 0.00';
  return entries.map(([currency, minor]) => `${currency} ${Money.of(minor, currency).toMajorString()}`).join(',');
}

export function reportLines(violations: readonly Violation[], s: AuditSummary): string[] {
  const counts = `orders=${s.orders} succeeded=${s.succeeded} failed=${s.failed} captured=${amounts(s.capturedMinor)} refunds=${s.refunds} payouts=${s.payouts} ledger=${s.ledgerBalanced ? 'balanced' : 'UNBALANCED'}`;
  if (violations.length === 0) return [`auditor: OK ${counts}`];
  return [...violations.map((v) => `auditor: VIOLATION ${v.code} ${v.message} ids=${v.ids.join(',')}`), `auditor: ${violations.length} violation(s) ${counts}`];
}

/** Reads the stack's state from every source at once (each trusted by none of the others). */
export async function readSnapshot(target: AuditTarget): Promise<AuditSnapshot> {
  const from = <T>(source: string, read: Promise<T>) =>
    read.catch((error: unknown) => {
      throw new Error(`${source}: ${(error as Error).message ?? String(error)}`);
    });
  const [databases, kafka, books] = await Promise.all([
    from('the databases', readDatabases(target)),
    from(`Kafka (${target.kafka.brokers.join(',')})`, readKafka(target)),
    from(`the emulator (${target.emulatorUrl})`, readEmulatorBooks(target.emulatorUrl)),
  ]);
  return { ...databases, ...kafka, ...books, deliberateDeadLetterIds: target.deliberateDeadLetterIds };
}

/** Audits a drained stack: reads its databases, topics and the emulator's books, and checks the money. Throws when a source cannot be read. */
export async function audit(target: AuditTarget): Promise<AuditReport> {
  return runChecks(await readSnapshot(target));
}
