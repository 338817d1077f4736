import type { BillRow } from '@paystream/shared/channel-protocols';

/** How long one bill call (the URL query or the download) may take. */
export const BILL_CALL_TIMEOUT_MS = 15_000;

/** The channels whose daily bills the gateway downloads (UnionPay's file transfer is not built). */
export const BILL_CHANNELS = ['alipay', 'wechatpay'] as const;
export type BillChannel = (typeof BILL_CHANNELS)[number];

/** Why a bill could not be had: the channel refused or could not be reached, or what came back does not verify. */
export class BillDownloadError extends Error {
  constructor(
    readonly reason: 'refused' | 'unverified' | 'unreachable' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'BillDownloadError';
  }
}

/** Downloads and reads one channel's daily bill, in the channel's own protocol. */
export interface BillDownloader {
  /** The rows of the bill of the Beijing day `date` (yyyy-MM-dd); empty when the channel has no bill for a day without trades. */
  download(date: string): Promise<BillRow[]>;
}
