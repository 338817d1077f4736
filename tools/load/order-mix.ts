/**
 * The traffic the demo drives: mostly ordinary orders plus a share of sandbox scenarios, so every
 * path (decline, channel outage, risk rejection) shows up in the report. Amounts are minor units.
 */
export type Scenario = 'ok' | 'declined' | 'channel-5xx' | 'risk-reject';

/** Per-mille share of each scenario in the default mix (sums to 1000). */
export const DEFAULT_MIX_PER_MILLE: Readonly<Record<Scenario, number>> = {
  ok: 920,
  declined: 40,
  'channel-5xx': 20,
  'risk-reject': 20,
};

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
      const cents = BigInt(i % 50); // 00..49: never a sandbox trigger (51..54)
      return base + cents;
    }
    case 'declined':
      return base + 51n;
    case 'channel-5xx':
      return base + 53n;
    case 'risk-reject':
      return RISK_REJECT_BASE_MINOR + base;
  }
}
