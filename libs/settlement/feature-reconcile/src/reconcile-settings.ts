/** How reconciliation runs (validated in apps/settlement/src/config.ts). */
export interface ReconcileSettings {
  /** channel-gateway's base URL: it downloads the channels' bills and knows our channel transactions. */
  gatewayUrl: string;
  /** The Beijing wall-clock time (HH:mm) from which yesterday's bills are reconciled. */
  dailyAtBeijing: string;
  /** How often the daily job looks for a day not yet reconciled. */
  checkIntervalMs: number;
  /** The bearer token settlement presents to the gateway (its service:settlement credential); none: the gateway refuses. */
  serviceToken?: string;
}

export const RECONCILE_SETTINGS = Symbol('RECONCILE_SETTINGS');

/** Alipay offers a day's statement from 09:00 the next morning, WeChat Pay its bill from 10:00, UnionPay its files in the morning (the hour not confirmed): reconcile after all three. */
export const RECONCILIATION_DAILY_AT_BEIJING = '10:30';
export const RECONCILIATION_CHECK_INTERVAL_MS = 10_000;
/** How long one call to the gateway for a bill or our records may take (the gateway itself downloads the bill). */
export const RECONCILIATION_SOURCE_TIMEOUT_MS = 40_000;
/** Runs and breaks returned by one list call at most. */
export const RECONCILIATION_LIST_LIMIT_MAX = 500;
/** The channels whose bills are reconciled: every channel. */
export const RECONCILED_CHANNELS = ['alipay', 'wechatpay', 'unionpay'] as const;
export type ReconciledChannel = (typeof RECONCILED_CHANNELS)[number];
