/** How channel-gateway talks to the channels (validated in apps/channel-gateway/src/config.ts). */
export interface ChannelSettings {
  emulatorUrl: string;
  /** How long a charge call may take before its outcome counts as unknown. */
  chargeTimeoutMs: number;
  /** How often unknown outcomes are queried. */
  queryIntervalMs: number;
  /** How long a trade the channel has never heard of stays unknown before it counts as failed. */
  queryGiveUpMs: number;
}

export const CHANNEL_SETTINGS = Symbol('CHANNEL_SETTINGS');

export const CHANNEL_CHARGE_TIMEOUT_MS = 3_000;
export const CHANNEL_QUERY_INTERVAL_MS = 1_000;
export const CHANNEL_QUERY_GIVE_UP_MS = 60_000;
/** How long a status query may take. */
export const CHANNEL_QUERY_TIMEOUT_MS = 2_000;
/** Unknown outcomes looked at per worker tick. */
export const CHANNEL_QUERY_BATCH_SIZE = 50;
