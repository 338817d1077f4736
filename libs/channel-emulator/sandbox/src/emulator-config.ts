import { join } from 'node:path';
import { z } from 'zod';
import { CHANNEL_KEY_FILES, readPemIfPresent } from '@paystream/shared/channel-protocols';
import { parseConfig } from '@paystream/shared/platform';

/** Keys the emulator plays Alipay with: it verifies the merchant and signs as the platform. */
export interface AlipayEmulatorKeys {
  appId: string;
  merchantPublicKeyPem: string;
  platformPrivateKeyPem: string;
}

export interface EmulatorConfig {
  host: string;
  port: number;
  /** How long a `..52` charge holds its answer, so the caller times out (ms). */
  holdMs: number;
  logLevel: string;
  /** Present when the key files are (the setup script writes them): Alipay then speaks Open API v2. */
  alipay?: AlipayEmulatorKeys;
}

/** The emulator's environment, validated: it refuses to start on a bad value. */
export function loadEmulatorConfig(env: Record<string, string | undefined> = process.env): EmulatorConfig {
  const c = parseConfig(
    'channel-emulator',
    z.object({
      HOST: z.string().min(1).default('127.0.0.1'),
      CHANNEL_EMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
      CHANNEL_EMULATOR_HOLD_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      CHANNEL_KEYS_DIR: z.string().min(1).default('.run/keys'),
      ALIPAY_APP_ID: z.string().regex(/^\d{16}$/, 'a 16-digit Alipay app id').default('2021000000000001'),
    }),
    env,
  );
  const merchantPublicKeyPem = readPemIfPresent(join(c.CHANNEL_KEYS_DIR, CHANNEL_KEY_FILES.alipayMerchantPublic));
  const platformPrivateKeyPem = readPemIfPresent(join(c.CHANNEL_KEYS_DIR, CHANNEL_KEY_FILES.alipayPlatformPrivate));
  return {
    host: c.HOST,
    port: c.CHANNEL_EMULATOR_PORT,
    holdMs: c.CHANNEL_EMULATOR_HOLD_MS,
    logLevel: c.LOG_LEVEL,
    ...(merchantPublicKeyPem && platformPrivateKeyPem ? { alipay: { appId: c.ALIPAY_APP_ID, merchantPublicKeyPem, platformPrivateKeyPem } } : {}),
  };
}
