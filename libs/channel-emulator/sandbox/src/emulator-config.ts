import { accessSync, constants, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { loadPlatformKeys, type PlatformKeyRing } from '@paystream/shared/channel-protocols';
import { ConfigError, parseConfig } from '@paystream/shared/platform';
import type { NotifierIds } from './notification-sender';

export interface EmulatorConfig {
  host: string;
  port: number;
  /** How long a `..52` / `..56` charge holds its answer, so the caller times out (ms). */
  holdMs: number;
  /** How long the buyer takes to pay an asynchronous (WeChat Pay, UnionPay) charge (ms). */
  payDelayMs: number;
  /** The channels' notification retry schedules run at this scale (1 = real time; the sandbox default runs them a thousand times faster). */
  notifyTimeScale: number;
  logLevel: string;
  /** Where the channels' and the bank's books are journaled, so they survive a restart (absent: in memory only). */
  stateDir?: string;
  ids: NotifierIds;
  /** The channel platforms' keys (it verifies the merchant and signs as the platform). */
  keys: PlatformKeyRing;
}

/** The emulator's environment, validated: it refuses to start on a bad value or missing keys. */
export function loadEmulatorConfig(env: Record<string, string | undefined> = process.env): EmulatorConfig {
  const c = parseConfig(
    'channel-emulator',
    z.object({
      HOST: z.string().min(1).default('127.0.0.1'),
      CHANNEL_EMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
      CHANNEL_EMULATOR_HOLD_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
      CHANNEL_EMULATOR_PAY_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(50),
      CHANNEL_EMULATOR_NOTIFY_TIME_SCALE: z.coerce.number().positive().max(1).default(0.001),
      CHANNEL_EMULATOR_STATE_DIR: z.string().trim().min(1).optional(),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      CHANNEL_KEYS_DIR: z.string().min(1).default('.run/keys'),
      ALIPAY_APP_ID: z.string().regex(/^\d{16}$/, 'a 16-digit Alipay app id').default('2021000000000001'),
      WECHATPAY_MCHID: z.string().regex(/^\d{8,10}$/).default('1900000001'),
      WECHATPAY_APPID: z.string().regex(/^wx[0-9a-f]{16}$/).default('wx8888888888888888'),
      UNIONPAY_MER_ID: z.string().regex(/^\d{15}$/).default('777290058110048'),
    }),
    env,
  );
  let keys: PlatformKeyRing;
  try {
    keys = loadPlatformKeys(c.CHANNEL_KEYS_DIR);
  } catch (error) {
    throw new ConfigError('channel-emulator', [`CHANNEL_KEYS_DIR: ${(error as Error).message}`]);
  }
  if (c.CHANNEL_EMULATOR_STATE_DIR) {
    try {
      mkdirSync(c.CHANNEL_EMULATOR_STATE_DIR, { recursive: true });
      accessSync(c.CHANNEL_EMULATOR_STATE_DIR, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new ConfigError('channel-emulator', [`CHANNEL_EMULATOR_STATE_DIR: not a directory it can write (${(error as Error).message})`]);
    }
  }
  return {
    host: c.HOST,
    port: c.CHANNEL_EMULATOR_PORT,
    holdMs: c.CHANNEL_EMULATOR_HOLD_MS,
    payDelayMs: c.CHANNEL_EMULATOR_PAY_DELAY_MS,
    notifyTimeScale: c.CHANNEL_EMULATOR_NOTIFY_TIME_SCALE,
    logLevel: c.LOG_LEVEL,
    ...(c.CHANNEL_EMULATOR_STATE_DIR ? { stateDir: c.CHANNEL_EMULATOR_STATE_DIR } : {}),
    ids: { alipayAppId: c.ALIPAY_APP_ID, wechatpayMchId: c.WECHATPAY_MCHID, wechatpayAppId: c.WECHATPAY_APPID, unionpayMerId: c.UNIONPAY_MER_ID },
    keys,
  };
}
