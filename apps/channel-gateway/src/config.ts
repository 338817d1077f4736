import { z } from 'zod';
import { loadMerchantKeys } from '@paystream/shared/channel-protocols';
import { BREAKER_DEFAULTS, CHANNEL_CHARGE_TIMEOUT_MS, CHANNEL_QUERY_INTERVAL_MS, CHANNEL_UNKNOWN_MAX_AGE_MS, type ChannelSettings } from '@paystream/channel-gateway/feature-charge';
import { parseMerchantRules } from '@paystream/channel-gateway/domain';
import { ConfigError, loadPlatformConfig, parseConfig, type PlatformConfig } from '@paystream/shared/platform';

export type GatewayConfig = PlatformConfig & { channel: ChannelSettings };

const httpUrl = () => z.url({ protocol: /^https?$/ });
const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * channel-gateway's environment: the platform's, where the channels are (the emulator unless a
 * channel's own URL is given), the merchant's ids at each channel, how long to wait, and the key
 * directory (the setup script generates the keys there; they are never committed).
 */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const platform = loadPlatformConfig('channel-gateway', env);
  const c = parseConfig(
    'channel-gateway',
    z.object({
      CHANNEL_EMULATOR_URL: httpUrl().default('http://127.0.0.1:3100'),
      CHANNEL_NOTIFY_BASE_URL: httpUrl().optional(),
      CHANNEL_CHARGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(CHANNEL_CHARGE_TIMEOUT_MS),
      CHANNEL_QUERY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(CHANNEL_QUERY_INTERVAL_MS),
      CHANNEL_UNKNOWN_MAX_AGE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(CHANNEL_UNKNOWN_MAX_AGE_MS),
      CHANNEL_BREAKER_ERROR_PERCENT: z.coerce.number().int().min(1).max(100).default(BREAKER_DEFAULTS.errorThresholdPercent),
      CHANNEL_BREAKER_VOLUME: z.coerce.number().int().min(1).max(10_000).default(BREAKER_DEFAULTS.volumeThreshold),
      CHANNEL_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(3_600_000).default(BREAKER_DEFAULTS.resetTimeoutMs),
      CHANNEL_BREAKER_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(BREAKER_DEFAULTS.rollingWindowMs),
      CHANNEL_KEYS_DIR: z.string().min(1).default('.run/keys'),
      ALIPAY_APP_ID: z.string().regex(/^\d{16}$/, 'a 16-digit Alipay app id').default('2021000000000001'),
      ALIPAY_GATEWAY_URL: httpUrl().optional(),
      ALIPAY_CHARGE_METHOD: z.enum(['alipay.trade.pay', 'alipay.trade.precreate']).default('alipay.trade.pay'),
      WECHATPAY_MCHID: z.string().regex(/^\d{8,10}$/, 'a WeChat Pay merchant id (8-10 digits)').default('1900000001'),
      WECHATPAY_APPID: z.string().regex(/^wx[0-9a-f]{16}$/, 'a WeChat app id (wx and 16 hex digits)').default('wx8888888888888888'),
      WECHATPAY_BASE_URL: httpUrl().optional(),
      UNIONPAY_MER_ID: z.string().regex(/^\d{15}$/, 'a 15-digit UnionPay merchant id').default('777290058110048'),
      UNIONPAY_BASE_URL: httpUrl().optional(),
      UNIONPAY_FILE_TRANSFER_URL: httpUrl().optional(),
      CHANNEL_MERCHANT_RULES: z
        .string()
        .default('')
        .refine((t) => {
          try {
            parseMerchantRules(t);
            return true;
          } catch {
            return false;
          }
        }, 'merchant:channel[,channel][;merchant:channel...] with channels alipay, wechatpay, unionpay'),
    }),
    env,
  );
  const emulatorUrl = trimSlash(c.CHANNEL_EMULATOR_URL);
  let keys: ReturnType<typeof loadMerchantKeys>;
  try {
    keys = loadMerchantKeys(c.CHANNEL_KEYS_DIR);
  } catch (error) {
    throw new ConfigError('channel-gateway', [`CHANNEL_KEYS_DIR: ${(error as Error).message}`]);
  }
  return {
    ...platform,
    channel: {
      notifyBaseUrl: trimSlash(c.CHANNEL_NOTIFY_BASE_URL ?? `http://127.0.0.1:${platform.port}`),
      chargeTimeoutMs: c.CHANNEL_CHARGE_TIMEOUT_MS,
      queryIntervalMs: c.CHANNEL_QUERY_INTERVAL_MS,
      unknownMaxAgeMs: c.CHANNEL_UNKNOWN_MAX_AGE_MS,
      breaker: {
        errorThresholdPercent: c.CHANNEL_BREAKER_ERROR_PERCENT,
        volumeThreshold: c.CHANNEL_BREAKER_VOLUME,
        resetTimeoutMs: c.CHANNEL_BREAKER_RESET_MS,
        rollingWindowMs: c.CHANNEL_BREAKER_WINDOW_MS,
      },
      alipay: { gatewayUrl: c.ALIPAY_GATEWAY_URL ?? `${emulatorUrl}/alipay/gateway.do`, appId: c.ALIPAY_APP_ID, chargeMethod: c.ALIPAY_CHARGE_METHOD, ...keys.alipay },
      wechatpay: { baseUrl: trimSlash(c.WECHATPAY_BASE_URL ?? emulatorUrl), appId: c.WECHATPAY_APPID, mchId: c.WECHATPAY_MCHID, ...keys.wechatpay },
      unionpay: { baseUrl: trimSlash(c.UNIONPAY_BASE_URL ?? emulatorUrl), fileTransferUrl: c.UNIONPAY_FILE_TRANSFER_URL ?? `${emulatorUrl}/unionpay/filedownload`, merId: c.UNIONPAY_MER_ID, ...keys.unionpay },
      merchantRules: parseMerchantRules(c.CHANNEL_MERCHANT_RULES),
      cardTokenKey: keys.cardTokenKey,
    },
  };
}
