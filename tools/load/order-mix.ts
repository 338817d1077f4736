import type { Channel } from '@paystream/contracts';

/**
 * The traffic the demo drives: mostly ordinary orders plus a share of sandbox scenarios, so every
 * path (decline, channel outage, risk rejection, lost answers and notifications) shows up in the
 * report, spread over the three channels. Amounts are minor units.
 */
export type Scenario =
  | 'ok'
  | 'declined'
  | 'channel-5xx'
  | 'risk-reject'
  | 'answer-times-out'
  | 'notify-twice'
  | 'no-notification'
  | 'late-success'
  /** A fraudster trying one stolen card with tiny amounts from shoppers' accounts (risk: card-testing, shared-card). */
  | 'card-testing'
  /** Shoppers' accounts all paying from one device of a device farm (risk: shared-device). */
  | 'device-farm';

/** Per-mille share of each scenario in the default mix (sums to 1000). */
export const DEFAULT_MIX_PER_MILLE: Readonly<Record<Scenario, number>> = {
  ok: 850,
  declined: 40,
  'channel-5xx': 20,
  'risk-reject': 20,
  'answer-times-out': 10,
  'notify-twice': 10,
  'no-notification': 10,
  'late-success': 10,
  'card-testing': 16,
  'device-farm': 14,
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

/** A card tester's amounts start here (CNY 1.00), within risk's small-amount threshold (CNY 5.00). */
const CARD_TESTING_BASE_MINOR = 100n;

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
    case 'card-testing':
      return CARD_TESTING_BASE_MINOR + BigInt(i % 40); // CNY 1.00 .. 1.39: small, never a sandbox trigger
    case 'device-farm':
      return base + BigInt(i % 50);
    default:
      return base + SCENARIO_SUFFIX[scenario]!;
  }
}

/** The card number the i-th shopper pays by UnionPay with: their own (BIN 622588, Luhn-valid), so cards are not shared. */
export function shopperCardNumber(i: number): string {
  return withLuhnDigit(`62258803${String(i).padStart(7, '0')}`);
}

/** A card tester's stolen card for one run (its number derived from the run id). */
export function testerCardNumber(runId: string): string {
  let h = 0;
  for (const c of runId) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return withLuhnDigit(`62258804${String(h % 10_000_000).padStart(7, '0')}`);
}

/** The digits with the Luhn check digit appended. */
export function withLuhnDigit(digits: string): string {
  let sum = 0;
  for (let k = 0; k < digits.length; k++) {
    // doubling starts at the rightmost digit of the payload, which the check digit will follow
    let d = Number(digits[digits.length - 1 - k]);
    if (k % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

/** Shopper signals a checkout sends: four shoppers in five send their own device and IP address; a device farm shares one device. */
export function shopperSignals(scenario: Scenario, shopper: number, runId: string): { deviceId?: string; ipAddress?: string } {
  const ipAddress = `100.64.${(shopper >> 8) & 255}.${shopper & 255}`;
  if (scenario === 'device-farm') return { deviceId: `device-farm-${runId}`, ipAddress };
  if (scenario === 'card-testing') return { deviceId: `card-tester-${runId}` };
  return shopper % 5 === 0 ? {} : { deviceId: `phone-${shopper}`, ipAddress };
}
