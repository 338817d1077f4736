import { randomUUID } from 'node:crypto';
import { beijingDateTime } from '@paystream/shared/channel-protocols';
import { demoFetch } from './demo-auth';

/** The breaks the demo plants at the emulator, to show reconciliation finds them. */
export const DEMO_PLANTED_BREAKS = [
  { channel: 'alipay', kind: 'amount_mismatch' },
  { channel: 'wechatpay', kind: 'missing_ours' },
  { channel: 'unionpay', kind: 'missing_channel' },
] as const;
/** A day's run downloads three bills and reads the day's records: allow it time on a busy box. */
const RECONCILIATION_CALL_TIMEOUT_MS = 120_000;

interface Run {
  channel: string;
  status: string;
  lastError: string | null;
  billed: { count: number; amountMinor: string };
  matched: { count: number; amountMinor: string };
  /** The day's matched refunds now cleared (refunds in flight -> the channel's clearing); absent from an older settlement. */
  refundsCleared?: { count: number; amountMinor: string; bookedByThisRun: number };
  breaksByKind: Record<string, number>;
  breaks: { kind: string; reference: string }[];
}

export interface ReconciliationSummary {
  date: string;
  planted: { channel: string; kind: string; outTradeNo?: string; error?: string }[];
  plantedFound: number;
  runs: Run[];
  error?: string;
}

/**
 * Reconciles today (Beijing) at the end of the demo: optionally plants a couple of breaks in today's bills at the
 * emulator, asks settlement to run reconciliation for today, and summarises matched rows and breaks by kind.
 */
export async function reconcileToday(urls: { settlement: string; channelEmulator: string }, plant: boolean): Promise<ReconciliationSummary> {
  const date = beijingDateTime().slice(0, 10);
  const planted: ReconciliationSummary['planted'] = [];
  const post = async (url: string, body: unknown) => {
    // each call a request of its own (the run is an operator write: an Idempotency-Key on every one)
    const res = await demoFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${randomUUID()}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(RECONCILIATION_CALL_TIMEOUT_MS) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  try {
    if (plant) {
      for (const b of DEMO_PLANTED_BREAKS) {
        const res = await post(`${urls.channelEmulator}/sandbox/bills/breaks`, { ...b, date });
        planted.push(res.status === 201 ? { ...b, outTradeNo: String(res.body.outTradeNo) } : { ...b, error: String(res.body.message ?? res.status) });
      }
    }
    const res = await post(`${urls.settlement}/reconciliation/runs`, { date });
    if (res.status !== 200) return { date, planted, plantedFound: 0, runs: [], error: `settlement answered ${res.status}: ${JSON.stringify(res.body)}` };
    const runs = res.body.runs as Run[];
    const found = new Set(runs.flatMap((r) => r.breaks.map((b) => `${r.channel}/${b.kind}/${b.reference}`)));
    const plantedFound = planted.filter((p) => p.outTradeNo && found.has(`${p.channel}/${p.kind}/${p.outTradeNo}`)).length;
    return { date, planted, plantedFound, runs };
  } catch (error) {
    return { date, planted, plantedFound: 0, runs: [], error: (error as Error).message };
  }
}

/** The report lines for a reconciliation summary. */
export function reconciliationLines(s: ReconciliationSummary, yuan: (minor: bigint) => string): string[] {
  const okPlants = s.planted.filter((p) => p.outTradeNo);
  const head = `  reconciliation       ${s.date} (Beijing, so far)${
    s.planted.length ? `; planted ${okPlants.length} break(s) at the emulator to show they are found (${okPlants.map((p) => `${p.channel} ${p.kind}`).join(', ')}): ${s.plantedFound} found` : ''
  }`;
  if (s.error) return [head, `    not run: ${s.error}`];
  return [
    head,
    ...s.runs.map((r) => {
      const breaks = Object.entries(r.breaksByKind).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
      if (r.status !== 'COMPLETED') return `    ${r.channel.padEnd(17)}${r.status}: ${r.lastError ?? ''}`;
      const cleared = r.refundsCleared ? `, refunds cleared ${r.refundsCleared.count} (CNY ${yuan(BigInt(r.refundsCleared.amountMinor))})` : '';
      return `    ${r.channel.padEnd(17)}billed ${r.billed.count} (CNY ${yuan(BigInt(r.billed.amountMinor))}), matched ${r.matched.count} (CNY ${yuan(BigInt(r.matched.amountMinor))})${cleared}, breaks: ${breaks}`;
    }),
    ...s.planted.filter((p) => p.error).map((p) => `    could not plant ${p.channel} ${p.kind}: ${p.error}`),
  ];
}
