import type { Channel } from '@paystream/contracts';

/**
 * The traffic the demo drives: mostly ordinary orders plus a share of sandbox scenarios, so every
 * path (decline, channel outage, risk rejection, lost answers and notifications) shows up in the
 * report, spread over the three channels. Amounts are minor units.
 */
export type Scenario = 'ok' | 'declined' | 'channel-5xx' | 'risk-reject' | 'answer-times-out' | 'notify-twice' | 'no-notification' | 'late-success';

/** Per-mille share of each scenario in the default mix (sums to 1000). */
export const DEFAULT_MIX_PER_MILLE: Readonly<Record<Scenario, number>> = {
  ok: 880,
  declined: 40,
  'channel-5xx': 20,
  'risk-reject': 20,
  'answer-times-out': 10,
  'notify-twice': 10,
  'no-notification': 10,
  'late-success': 10,
};

/** The sandbox amount ending of each channel scenario (ARCHITECTURE.md and README, "Sandbox amounts"). */
const SCENARIO_SUFFIX: Partial<Record<Scenario, bigint>> = {
  declined: 51n,
  'channel-5xx': 53n,
  'answer-times-out': 52n,
  'notify-twice': 54n,
  'no-notification': 55n,
  'late-success': 56n,
};

/** Per-mille share of the shoppers' channels: wallets mostly, a fifth by UnionPay card. */
export const CHANNEL_MIX_PER_MILLE: Readonly<Record<Channel, number>> = { alipay: 450, wechatpay: 350, unionpay: 200 };

/** The channel the i-th shopper pays with (a different spread from the scenarios, so they mix). */
export function channelOf(i: number): Channel {
  const slot = (Math.imul(i + 7, 40503) >>> 0) % 1000;
  let acc = 0;
  for (const [channel, share] of Object.entries(CHANNEL_MIX_PER_MILLE) as [Channel, number][]) {
    acc += share;
    if (slot < acc) return channel;
  }
  return 'alipay';
}

/** Amounts above this are rejected by risk's single-payment limit (CNY 50,000.00). */
const RISK_REJECT_BASE_MINOR = 6_000_000n;

/** The scenario of the i-th order: a deterministic spread over the mix, so runs are comparable. */
export function scenarioOf(i: number, mix: Readonly<Record<Scenario, number>> = DEFAULT_MIX_PER_MILLE): Scenario {
  // a multiplicative hash spreads scenarios through the run instead of bunching them at the end
  const slot = (Math.imul(i + 1, 2654435761) >>> 0) % 1000;
  let acc = 0;
  for (const [scenario, share] of Object.entries(mix) as [Scenario, number][]) {
    acc += share;
    if (slot < acc) return scenario;
  }
  return 'ok';
}

/** An amount for the scenario: the last two digits select the emulator's sandbox behaviour. */
export function amountFor(scenario: Scenario, i: number): bigint {
  const base = BigInt(1 + ((i * 7919) % 5_000)) * 100n; // CNY 1 .. 5,000 in whole yuan
  switch (scenario) {
    case 'ok': {
      const cents = BigInt(i % 50); // 00..49: never a sandbox trigger (51..57)
      return base + cents;
    }
    case 'risk-reject':
      return RISK_REJECT_BASE_MINOR + base;
    default:
      return base + SCENARIO_SUFFIX[scenario]!;
  }
}
