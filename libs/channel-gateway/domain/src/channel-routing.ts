import { CHANNELS, type Channel } from '@paystream/contracts';

/** Where a channel's circuit breaker stands (opossum's three states). */
export type BreakerState = 'closed' | 'half-open' | 'open';

export interface ChannelHealth {
  breaker: BreakerState;
  /** Share of recent calls the channel answered (a decline is an answer); undefined with no recent calls. */
  successRate?: number;
}

/** What routing knows of a channel: what it costs the merchant and the largest charge it takes. */
export interface ChannelProfile {
  /** The channel's fee in basis points, like settlement's fee_bps (bigint: it multiplies money). */
  feeBps: bigint;
  amountMaxMinor: bigint;
  currencies: readonly string[];
  /** Whether the channel charges a bank card (a card token), or a wallet the shopper presents. */
  takes: 'card' | 'wallet';
}

/** The channel used when an order names none and every channel is equally fit. */
export const DEFAULT_CHANNEL: Channel = 'alipay';

/** Channel terms for routing (fee rates as typically contracted; the largest single charge each takes). */
export const CHANNEL_PROFILES: Readonly<Record<Channel, ChannelProfile>> = {
  alipay: { feeBps: 55n, amountMaxMinor: 50_000_000n, currencies: ['CNY'], takes: 'wallet' },
  wechatpay: { feeBps: 60n, amountMaxMinor: 50_000_000n, currencies: ['CNY'], takes: 'wallet' },
  unionpay: { feeBps: 60n, amountMaxMinor: 100_000_000n, currencies: ['CNY'], takes: 'card' },
};

/** A recent success rate below this makes a channel a last resort, whatever its fee. */
export const CHANNEL_SUCCESS_RATE_MIN = 0.8;

export type RoutingResult =
  | { ok: true; channel: Channel; reasons: string[] }
  | { ok: false; reasons: string[] };

export interface ChargeToRoute {
  requested?: Channel;
  amountMinor: bigint;
  currency: string;
  /** A card payment (a card token came with it): only card channels can take it. */
  card?: boolean;
  /** The channels the merchant's contract allows (a merchant rule); every channel when absent. */
  merchantChannels?: readonly Channel[];
}

/**
 * Merchant rules from configuration: `merchant-a:alipay,unionpay;merchant-b:wechatpay` limits those
 * merchants to those channels. Throws on an unknown channel or a malformed rule.
 */
export function parseMerchantRules(text: string): ReadonlyMap<string, readonly Channel[]> {
  const rules = new Map<string, readonly Channel[]>();
  for (const rule of text.split(';').map((r) => r.trim()).filter(Boolean)) {
    const [merchant, list] = rule.split(':');
    const channels = (list ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    if (!merchant?.trim() || channels.length === 0) throw new RangeError(`a merchant rule is merchant:channel[,channel], got "${rule}"`);
    for (const c of channels) if (!(CHANNELS as readonly string[]).includes(c)) throw new RangeError(`unknown channel "${c}" in merchant rule "${rule}"`);
    rules.set(merchant.trim(), channels as Channel[]);
  }
  return rules;
}

/**
 * Picks the channel for a charge: the shopper's choice while it is healthy; otherwise (or with no
 * choice) a healthy channel that takes the amount and currency, preferring a closed breaker, a
 * recent success rate above CHANNEL_SUCCESS_RATE_MIN, then the lowest fee, then the default.
 * Returns the reasons so the decision can be stored with the attempt.
 */
export function routeCharge(charge: ChargeToRoute, healthOf: (c: Channel) => ChannelHealth, profiles = CHANNEL_PROFILES): RoutingResult {
  const reasons: string[] = [];
  const fits = (c: Channel) =>
    (charge.merchantChannels?.includes(c) ?? true) &&
    profiles[c].currencies.includes(charge.currency) && charge.amountMinor <= profiles[c].amountMaxMinor && (profiles[c].takes === 'card') === (charge.card ?? false);
  if (charge.requested) {
    const health = healthOf(charge.requested);
    if (charge.merchantChannels && !charge.merchantChannels.includes(charge.requested)) reasons.push(`${charge.requested} requested but the merchant's rules allow only ${charge.merchantChannels.join(', ')}`);
    else if (!fits(charge.requested)) reasons.push(`${charge.requested} requested but does not take ${charge.amountMinor} ${charge.currency}${charge.card ? ' by card' : ''}`);
    else if (health.breaker === 'open') reasons.push(`${charge.requested} requested but its breaker is open`);
    else return { ok: true, channel: charge.requested, reasons: [`${charge.requested} requested by the shopper`] };
  }
  const candidates = CHANNELS.filter((c) => c !== charge.requested && fits(c) && healthOf(c).breaker !== 'open');
  if (candidates.length === 0) return { ok: false, reasons: [...reasons, 'no channel with a closed breaker takes this charge'] };
  const rank = (c: Channel): bigint[] => {
    const h = healthOf(c);
    return [h.breaker === 'closed' ? 0n : 1n, (h.successRate ?? 1) >= CHANNEL_SUCCESS_RATE_MIN ? 0n : 1n, profiles[c].feeBps, c === DEFAULT_CHANNEL ? 0n : 1n, BigInt(CHANNELS.indexOf(c))];
  };
  const [best] = [...candidates].sort((a, b) => compareTuples(rank(a), rank(b)));
  const h = healthOf(best!);
  reasons.push(
    `routed to ${best}: breaker ${h.breaker}, recent success ${h.successRate === undefined ? 'n/a' : `${Math.round(h.successRate * 100)} %`}, fee ${profiles[best!].feeBps} bps`,
  );
  return { ok: true, channel: best!, reasons };
}

function compareTuples(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}
