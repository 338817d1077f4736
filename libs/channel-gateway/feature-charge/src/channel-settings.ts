import type { Channel } from '@paystream/contracts';

/** How channel-gateway talks to the channels (validated in apps/channel-gateway/src/config.ts). */
export interface ChannelSettings {
  /** Where the channels send their notifications: the gateway's own public base URL. */
  notifyBaseUrl: string;
  /** How long a charge call may take before its outcome counts as unknown. */
  chargeTimeoutMs: number;
  /** The janitor's base interval: its backoff schedule is multiples of it. */
  queryIntervalMs: number;
  /** How old an unknown outcome may get before the janitor closes the trade at the channel. */
  unknownMaxAgeMs: number;
  breaker: BreakerSettings;
  alipay: AlipaySettings;
  wechatpay: WechatpaySettings;
  unionpay: UnionpaySettings;
  /** Merchant rules: the channels a merchant's contract allows (merchants without a rule may use any). */
  merchantRules: ReadonlyMap<string, readonly Channel[]>;
  /** The secret that keys card tokens (HMAC), from configuration. */
  cardTokenKey: string;
}

export interface AlipaySettings {
  gatewayUrl: string;
  /** How a charge is created: barcode pay (the answer settles it) or a QR order (precreate: the buyer scans, the notification tells). */
  chargeMethod: 'alipay.trade.pay' | 'alipay.trade.precreate';
  appId: string;
  merchantPrivateKeyPem: string;
  platformPublicKeyPem: string;
}

export interface WechatpaySettings {
  /** The API host, e.g. https://api.mch.weixin.qq.com (the emulator here). */
  baseUrl: string;
  appId: string;
  mchId: string;
  merchantPrivateKeyPem: string;
  merchantSerialNo: string;
  platformPublicKeyPem: string;
  platformSerialNo: string;
  apiV3Key: string;
}

export interface UnionpaySettings {
  /** The ACP host, e.g. https://gateway.95516.com (the emulator here). */
  baseUrl: string;
  /** ACP file transfer (txnType 76), on its own host, e.g. https://filedownload.95516.com/ (the emulator here). */
  fileTransferUrl: string;
  merId: string;
  merchantPrivateKeyPem: string;
  merchantCertId: string;
  platformPublicKeyPem: string;
  platformCertId: string;
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
/** Alipay closes an unpaid trade after 15 minutes by default (timeout_express); so does the janitor. */
export const CHANNEL_UNKNOWN_MAX_AGE_MS = 15 * 60_000;
/** How long a claimed unknown outcome is left to its query before another worker may claim it. */
export const CHANNEL_QUERY_LEASE_MS = 30_000;
/** How long a status query may take. */
export const CHANNEL_QUERY_TIMEOUT_MS = 2_000;
/** Unknown outcomes looked at per worker tick. */
export const CHANNEL_QUERY_BATCH_SIZE = 50;
