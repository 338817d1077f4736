import { z } from 'zod';
import { BREAKER_DEFAULTS, CHANNEL_CHARGE_TIMEOUT_MS, CHANNEL_QUERY_GIVE_UP_MS, CHANNEL_QUERY_INTERVAL_MS, type ChannelSettings } from '@paystream/channel-gateway/feature-charge';
import { loadPlatformConfig, parseConfig, type PlatformConfig } from '@paystream/shared/platform';

export type GatewayConfig = PlatformConfig & { channel: ChannelSettings };

/** channel-gateway's environment: the platform's plus where the channels are and how long to wait. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const platform = loadPlatformConfig('channel-gateway', env);
  const c = parseConfig(
    'channel-gateway',
    z.object({
      CHANNEL_EMULATOR_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3100'),
      CHANNEL_CHARGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(CHANNEL_CHARGE_TIMEOUT_MS),
      CHANNEL_QUERY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(CHANNEL_QUERY_INTERVAL_MS),
      CHANNEL_QUERY_GIVE_UP_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(CHANNEL_QUERY_GIVE_UP_MS),
      CHANNEL_BREAKER_ERROR_PERCENT: z.coerce.number().int().min(1).max(100).default(BREAKER_DEFAULTS.errorThresholdPercent),
      CHANNEL_BREAKER_VOLUME: z.coerce.number().int().min(1).max(10_000).default(BREAKER_DEFAULTS.volumeThreshold),
      CHANNEL_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(3_600_000).default(BREAKER_DEFAULTS.resetTimeoutMs),
      CHANNEL_BREAKER_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(BREAKER_DEFAULTS.rollingWindowMs),
    }),
    env,
  );
  return {
    ...platform,
    channel: {
      emulatorUrl: c.CHANNEL_EMULATOR_URL.replace(/\/+$/, ''),
      chargeTimeoutMs: c.CHANNEL_CHARGE_TIMEOUT_MS,
      queryIntervalMs: c.CHANNEL_QUERY_INTERVAL_MS,
      queryGiveUpMs: c.CHANNEL_QUERY_GIVE_UP_MS,
      breaker: {
        errorThresholdPercent: c.CHANNEL_BREAKER_ERROR_PERCENT,
        volumeThreshold: c.CHANNEL_BREAKER_VOLUME,
        resetTimeoutMs: c.CHANNEL_BREAKER_RESET_MS,
        rollingWindowMs: c.CHANNEL_BREAKER_WINDOW_MS,
      },
    },
  };
}
