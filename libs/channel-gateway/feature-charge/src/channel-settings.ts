/** How channel-gateway talks to the channels (validated in apps/channel-gateway/src/config.ts). */
export interface ChannelSettings {
  emulatorUrl: string;
  /** How long a charge call may take before its outcome counts as unknown. */
  chargeTimeoutMs: number;
  /** How often unknown outcomes are queried. */
  queryIntervalMs: number;
  /** How long a trade the channel has never heard of stays unknown before it counts as failed. */
  queryGiveUpMs: number;
  breaker: BreakerSettings;
  /** When set, Alipay charges, queries and refunds speak Open API v2 (RSA2) to this gateway. */
  alipay?: AlipaySettings;
}

export interface AlipaySettings {
  gatewayUrl: string;
  appId: string;
  merchantPrivateKeyPem: string;
  platformPublicKeyPem: string;
}

/** Per channel and operation: when a breaker opens and how long it stays open. */
export interface BreakerSettings {
  /** Failing share of calls (percent) in the rolling window that opens the breaker. */
  errorThresholdPercent: number;
  /** Calls in the window before the share counts (a couple of failures do not open it). */
  volumeThreshold: number;
  /** How long an open breaker refuses calls before letting one trial call through (half-open). */
  resetTimeoutMs: number;
  /** The rolling window the share is measured over. */
  rollingWindowMs: number;
}

export const BREAKER_DEFAULTS: BreakerSettings = {
  errorThresholdPercent: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 10_000,
  rollingWindowMs: 10_000,
};

export const CHANNEL_SETTINGS = Symbol('CHANNEL_SETTINGS');

export const CHANNEL_CHARGE_TIMEOUT_MS = 3_000;
export const CHANNEL_QUERY_INTERVAL_MS = 1_000;
export const CHANNEL_QUERY_GIVE_UP_MS = 60_000;
/** How long a status query may take. */
export const CHANNEL_QUERY_TIMEOUT_MS = 2_000;
/** Unknown outcomes looked at per worker tick. */
export const CHANNEL_QUERY_BATCH_SIZE = 50;
