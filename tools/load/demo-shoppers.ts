/**
 * The demo's shoppers made ready before orders flow: card shoppers' cards tokenised at channel-gateway
 * (each card goes there once, never into an event), and every shopper registered as a real-name identity
 * at risk (level full), so risk applies a verified shopper's limits. Used by the demo and the chaos run.
 */
import type { PaymentRequested } from '@paystream/contracts';
import { demoIdentity } from './demo-identities';
import { amountFor, channelOf, scenarioOf, shopperCardNumber, shopperSignals, testerCardNumber } from './order-mix';
import { demoFetch } from './demo-auth';

/** Distinct shoppers the orders come from (each registered as a real-name identity first). */
export const SHOPPER_COUNT = 997;
/** Identity registrations and card tokenisations in flight at once. */
const IDENTITY_REGISTRATION_CONCURRENCY = 16;
/** How long a registration or tokenisation is tried again while it gets a 5xx or no answer (the client contract). */
export const PREPARE_CALL_DEADLINE_MS = 60_000;
/** One attempt's bound, and the pause between attempts. */
const PREPARE_CALL_TIMEOUT_MS = 10_000;
const PREPARE_RETRY_BACKOFF_MS = 250;
/** The expiry and CVV of the demo's cards. */
const DEMO_CARD_EXPIRY = '1229';
const DEMO_CARD_CVV = '123';

/** The cards of a run: the card tester's stolen one, and each card shopper's own (by shopper index). */
export interface DemoCards {
  testerCard: string;
  shopperCards: Map<number, string>;
}

/** Tokenises the run's cards for the first `orderCount` orders and registers their shoppers; answers the cards and the identity levels seen. */
export async function prepareShoppers(urls: { channelGateway: string; risk: string }, runId: string, orderCount: number, deadlineMs = PREPARE_CALL_DEADLINE_MS): Promise<DemoCards & { levels: Record<string, number> }> {
  const tokenize = async (number: string) => {
    // the same card gives the same token, so a call sent again is harmless
    const card = await postUntilAnswered(`${urls.channelGateway}/cards`, { number, expiry: DEMO_CARD_EXPIRY, cvv: DEMO_CARD_CVV }, deadlineMs);
    if (card.status !== 201) throw new Error(`POST /cards answered ${card.status}: ${await card.text()}`);
    return ((await card.json()) as { cardToken: string }).cardToken;
  };
  const testerCard = await tokenize(testerCardNumber(runId));
  const cardShoppers = [...new Set(Array.from({ length: orderCount }, (_, i) => i).filter((i) => channelOf(i) === 'unionpay' && scenarioOf(i) !== 'card-testing').map((i) => i % SHOPPER_COUNT))];
  const shopperCards = new Map<number, string>();
  for (let first = 0; first < cardShoppers.length; first += IDENTITY_REGISTRATION_CONCURRENCY) {
    await Promise.all(cardShoppers.slice(first, first + IDENTITY_REGISTRATION_CONCURRENCY).map(async (i) => shopperCards.set(i, await tokenize(shopperCardNumber(i)))));
  }
  const shoppers = Math.min(orderCount, SHOPPER_COUNT);
  const levels: Record<string, number> = {};
  for (let first = 0; first < shoppers; first += IDENTITY_REGISTRATION_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(IDENTITY_REGISTRATION_CONCURRENCY, shoppers - first) }, (_, k) => first + k);
    await Promise.all(
      batch.map(async (i) => {
        const res = await postUntilAnswered(`${urls.risk}/identities`, demoIdentity(`shopper-${i}`, i), deadlineMs);
        const level = res.ok ? ((await res.json()) as { level: string }).level : `HTTP ${res.status}`;
        levels[level] = (levels[level] ?? 0) + 1;
      }),
    );
  }
  return { testerCard, shopperCards, levels };
}

/**
 * POSTs JSON until the answer is not a 5xx (a busy or restarting service: the gateway answers 503 when
 * the channel did not answer in time) or the deadline passed; the last answer, or the last error.
 */
async function postUntilAnswered(url: string, json: unknown, deadlineMs: number): Promise<Response> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await demoFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json), signal: AbortSignal.timeout(PREPARE_CALL_TIMEOUT_MS) });
      if (res.status < 500 || Date.now() + PREPARE_RETRY_BACKOFF_MS > giveUpAt) return res;
      await res.arrayBuffer(); // the connection goes back to the pool
    } catch (error) {
      if (Date.now() + PREPARE_RETRY_BACKOFF_MS > giveUpAt) throw error;
    }
    await new Promise((r) => setTimeout(r, PREPARE_RETRY_BACKOFF_MS));
  }
}

/** The i-th order of a run: its scenario, channel, amount, shopper and card from the demo's mix. */
export function demoOrder(i: number, run: { runId: string; merchants: number; cards: DemoCards; orderIdPrefix?: string }): PaymentRequested {
  const scenario = scenarioOf(i);
  const shopper = i % SHOPPER_COUNT;
  // a card tester pays by UnionPay with the run's stolen card; card shoppers with their own
  const channel = scenario === 'card-testing' ? 'unionpay' : channelOf(i);
  const cardToken = scenario === 'card-testing' ? run.cards.testerCard : channel === 'unionpay' ? run.cards.shopperCards.get(shopper) : undefined;
  return {
    orderId: `${run.orderIdPrefix ?? 'demo'}-${run.runId}-${i}`,
    merchantId: `merchant-${i % run.merchants}`,
    userId: `shopper-${shopper}`,
    amountMinor: amountFor(scenario, i).toString(),
    currency: 'CNY',
    channel,
    ...(cardToken ? { cardToken } : {}),
    ...shopperSignals(scenario, shopper, run.runId),
    subject: `Demo order ${i}`,
    requestedAt: new Date().toISOString(),
  };
}
