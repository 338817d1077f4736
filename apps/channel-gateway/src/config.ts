import { join } from 'node:path';
import { z } from 'zod';
import { CHANNEL_KEY_FILES, readPemIfPresent } from '@paystream/shared/channel-protocols';
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
      CHANNEL_KEYS_DIR: z.string().min(1).default('.run/keys'),
      ALIPAY_APP_ID: z.string().regex(/^\d{16}$/, 'a 16-digit Alipay app id').default('2021000000000001'),
      ALIPAY_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
      CHANNEL_BREAKER_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(BREAKER_DEFAULTS.rollingWindowMs),
    }),
    env,
  );
  const emulatorUrl = c.CHANNEL_EMULATOR_URL.replace(/\/+$/, '');
  // Alipay speaks Open API v2 once its keys are there (the setup script writes them; never committed)
  const merchantPrivateKeyPem = readPemIfPresent(join(c.CHANNEL_KEYS_DIR, CHANNEL_KEY_FILES.alipayMerchantPrivate));
  const platformPublicKeyPem = readPemIfPresent(join(c.CHANNEL_KEYS_DIR, CHANNEL_KEY_FILES.alipayPlatformPublic));
  const alipay =
    merchantPrivateKeyPem && platformPublicKeyPem
      ? { gatewayUrl: c.ALIPAY_GATEWAY_URL ?? `${emulatorUrl}/alipay/gateway.do`, appId: c.ALIPAY_APP_ID, merchantPrivateKeyPem, platformPublicKeyPem }
      : undefined;
  return {
    ...platform,
    channel: {
      ...(alipay ? { alipay } : {}),
      emulatorUrl,
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
