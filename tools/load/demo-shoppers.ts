/**
 * The demo's shoppers made ready before orders flow: card shoppers' cards tokenised at channel-gateway
 * (each card goes there, never into an event), and every shopper registered as a real-name identity
 * at risk (level full), so risk applies a verified shopper's limits. A card token and an identity are
 * the merchant's that registers them, so each is registered by every merchant that has an order of it
 * (the same card gives each merchant the same token). Used by the demo and the chaos run.
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

/** The merchant of the i-th order of a run over `merchants` merchants. */
export function demoMerchantOf(i: number, merchants: number): string {
  return `merchant-${i % merchants}`;
}

/**
 * Tokenises the run's cards and registers the shoppers for the first `orderCount` orders over
 * `merchants` merchants, each as every merchant with an order of it; answers the cards and the
 * identity levels seen (one per merchant and shopper).
 */
export async function prepareShoppers(
  urls: { channelGateway: string; risk: string },
  runId: string,
  orderCount: number,
  merchants: number,
  deadlineMs = PREPARE_CALL_DEADLINE_MS,
): Promise<DemoCards & { levels: Record<string, number> }> {
  const tokenize = async (number: string, merchantId: string) => {
    // the same card gives the same token, so a call sent again is harmless
    const card = await postUntilAnswered(`${urls.channelGateway}/cards`, { number, expiry: DEMO_CARD_EXPIRY, cvv: DEMO_CARD_CVV }, deadlineMs, merchantId);
    if (card.status !== 201) throw new Error(`POST /cards as ${merchantId} answered ${card.status}: ${await card.text()}`);
    return ((await card.json()) as { cardToken: string }).cardToken;
  };
  const uses = demoRegistrations(orderCount, merchants);
  let testerCard = '';
  for (const merchantId of uses.testerCardMerchants) testerCard = await tokenize(testerCardNumber(runId), merchantId);
  const shopperCards = new Map<number, string>();
  await inBatches(uses.shopperCards, async ({ shopper, merchantId }) => void shopperCards.set(shopper, await tokenize(shopperCardNumber(shopper), merchantId)));
  const levels: Record<string, number> = {};
  await inBatches(uses.identities, async ({ shopper, merchantId }) => {
    const res = await postUntilAnswered(`${urls.risk}/identities`, demoIdentity(`shopper-${shopper}`, shopper), deadlineMs, merchantId);
    const level = res.ok ? ((await res.json()) as { level: string }).level : `HTTP ${res.status}`;
    levels[level] = (levels[level] ?? 0) + 1;
  });
  return { testerCard, shopperCards, levels };
}

/** A shopper as one merchant registers it. */
export interface ShopperOfMerchant {
  shopper: number;
  merchantId: string;
}

/**
 * What the first `orderCount` orders over `merchants` merchants need registered, each by every
 * merchant with an order of it: the merchants that tokenise the card tester's card (at least one, so
 * the run has it), the card shoppers' cards, and every shopper's identity.
 */
export function demoRegistrations(orderCount: number, merchants: number): { testerCardMerchants: string[]; shopperCards: ShopperOfMerchant[]; identities: ShopperOfMerchant[] } {
  const orders = Array.from({ length: orderCount }, (_, i) => i);
  const pairsOf = (indexes: number[]) => [...new Map(indexes.map((i) => [`${i % SHOPPER_COUNT} ${i % merchants}`, { shopper: i % SHOPPER_COUNT, merchantId: demoMerchantOf(i, merchants) }])).values()];
  const testers = [...new Set(orders.filter((i) => scenarioOf(i) === 'card-testing').map((i) => demoMerchantOf(i, merchants)))];
  return {
    testerCardMerchants: testers.length > 0 ? testers : [demoMerchantOf(0, merchants)],
    shopperCards: pairsOf(orders.filter((i) => channelOf(i) === 'unionpay' && scenarioOf(i) !== 'card-testing')),
    identities: pairsOf(orders),
  };
}

/** Runs `fn` over the items, IDENTITY_REGISTRATION_CONCURRENCY at a time. */
async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let first = 0; first < items.length; first += IDENTITY_REGISTRATION_CONCURRENCY) await Promise.all(items.slice(first, first + IDENTITY_REGISTRATION_CONCURRENCY).map(fn));
}

/**
 * POSTs JSON as the merchant until the answer is not a 5xx (a busy or restarting service: the gateway
 * answers 503 when the channel did not answer in time) or the deadline passed; the last answer, or the
 * last error.
 */
async function postUntilAnswered(url: string, json: unknown, deadlineMs: number, merchantId: string): Promise<Response> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await demoFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json), signal: AbortSignal.timeout(PREPARE_CALL_TIMEOUT_MS), as: merchantId });
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
    merchantId: demoMerchantOf(i, run.merchants),
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
