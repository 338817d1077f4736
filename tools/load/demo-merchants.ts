/**
 * The demo's merchants, onboarded in the merchant service before any order is driven (merchants are
 * registered, never assumed): real time, T+1 and T+2 schedules, a fee plan with a fixed part and
 * bounds, and a rolling reserve with a minimum payout.
 */
import { demoFetch } from './demo-auth';

export const DEMO_MERCHANT_TERMS: readonly Record<string, unknown>[] = [
  { schedule: 'realtime', feePlan: { rateBps: 60 } },
  { schedule: 'realtime', feePlan: { rateBps: 80, fixedMinor: '30', minMinor: '50', maxMinor: '5000' } },
  { schedule: 't_plus_n', nDays: 1, cutoffTime: '22:00', feePlan: { rateBps: 60 } },
  { schedule: 't_plus_n', nDays: 1, cutoffTime: '22:00', payoutMinMinor: '10000', reserveBps: 1000, reserveHoldDays: 30, feePlan: { rateBps: 70, minMinor: '100' } },
  { schedule: 't_plus_n', nDays: 2, cutoffTime: '18:00', feePlan: { rateBps: 60 } },
];

/** How long the demo waits for a new merchant to reach order-payment's and settlement's copies. */
export const DEMO_MERCHANT_COPY_TIMEOUT_MS = 60_000;

/** The onboarding body of demo merchant i (merchant-i; beyond the five above, real time at 0.60 %). */
export function demoMerchantBody(i: number) {
  const merchantId = `merchant-${i}`;
  return {
    merchantId,
    legalName: `Demo Merchant ${i} Ltd`,
    contact: { name: 'Demo Finance', email: `finance+${i}@merchant.example` },
    terms: {
      ...(DEMO_MERCHANT_TERMS[i] ?? DEMO_MERCHANT_TERMS[0]),
      payoutAccount: { bankCode: '102100099996', accountNo: `6222020${String(i).padStart(12, '0')}`, accountName: `Demo Merchant ${i} Ltd` },
    },
  };
}

/**
 * Onboards merchant-0..merchant-(count-1) in the merchant service (POST /merchants; the same key on
 * a later run answers the first result) and waits until order-payment and settlement have them.
 */
export async function ensureDemoMerchants(urls: { merchant: string; orderPayment: string; settlement: string }, count: number, log: (line: string) => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    const body = demoMerchantBody(i);
    const res = await demoFetch(`${urls.merchant}/merchants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `demo-onboard-${body.merchantId}` },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { error?: { code: string }; replayed?: boolean };
    // registered earlier under another key (npm run admin -- merchant onboard): it is there, which is what counts
    if (!res.ok && answer.error?.code !== 'MERCHANT_ALREADY_REGISTERED' && answer.error?.code !== 'IDEMPOTENCY_KEY_REUSED') {
      throw new Error(`onboarding ${body.merchantId} failed: HTTP ${res.status} ${JSON.stringify(answer)}`);
    }
  }
  const deadline = Date.now() + DEMO_MERCHANT_COPY_TIMEOUT_MS;
  for (let i = 0; i < count; i++) {
    const id = `merchant-${i}`;
    for (;;) {
      const [op, stl] = await Promise.all([demoFetch(`${urls.orderPayment}/merchants/${id}`).catch(() => undefined), demoFetch(`${urls.settlement}/merchants/${id}/settlement-terms`).catch(() => undefined)]);
      if (op?.ok && stl?.ok) break;
      if (Date.now() > deadline) throw new Error(`${id} did not reach order-payment's and settlement's copies within ${DEMO_MERCHANT_COPY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  log(`onboarded ${count} demo merchants in the merchant service (merchant-0..merchant-${count - 1}): known to order-payment and settlement\n`);
}
