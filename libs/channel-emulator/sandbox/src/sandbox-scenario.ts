/**
 * The sandbox conventions, like card networks' test amounts: the last two digits of amountMinor
 * decide what the channel does (ARCHITECTURE.md, "Sandbox conventions"; README, "Sandbox amounts").
 */
export type SandboxScenario =
  | 'succeed'
  | 'decline-insufficient-funds'
  | 'hold-then-succeed'
  | 'system-error'
  | 'succeed-notify-twice-out-of-order'
  | 'notification-never-arrives'
  | 'succeed-after-gateway-gave-up'
  | 'succeed-refund-fails';

const SCENARIOS_BY_LAST_TWO_DIGITS: Readonly<Record<string, SandboxScenario>> = {
  '51': 'decline-insufficient-funds',
  '52': 'hold-then-succeed',
  '53': 'system-error',
  '54': 'succeed-notify-twice-out-of-order',
  '55': 'notification-never-arrives',
  '56': 'succeed-after-gateway-gave-up',
  '57': 'succeed-refund-fails',
};

/**
 * What the channel does with a refund, by the last two digits of the refund's own amount:
 * `52` refunds at once but holds the answer past the caller's patience (only a query tells), `58`
 * accepts it as processing and completes it after the pay delay; anything else answers at once.
 */
export type RefundScenario = 'answer-at-once' | 'refund-then-hold-answer' | 'processing-then-succeed';

const REFUND_SCENARIOS_BY_LAST_TWO_DIGITS: Readonly<Record<string, RefundScenario>> = {
  '52': 'refund-then-hold-answer',
  '58': 'processing-then-succeed',
};

/** The refund scenario a refund amount in minor units triggers. */
export function refundScenarioForAmount(amountMinor: bigint): RefundScenario {
  const lastTwo = (amountMinor % 100n).toString().padStart(2, '0');
  return REFUND_SCENARIOS_BY_LAST_TWO_DIGITS[lastTwo] ?? 'answer-at-once';
}

/** The scenario an amount in minor units triggers. */
export function scenarioForAmount(amountMinor: bigint): SandboxScenario {
  const lastTwo = (amountMinor % 100n).toString().padStart(2, '0');
  return SCENARIOS_BY_LAST_TWO_DIGITS[lastTwo] ?? 'succeed';
}
