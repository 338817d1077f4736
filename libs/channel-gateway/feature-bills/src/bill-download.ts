import { BillFormatError, type BillRow } from '@paystream/shared/channel-protocols';
import { HttpCallError } from '@paystream/shared/platform';

/** How long one bill call (the URL query or the download) may take. */
export const BILL_CALL_TIMEOUT_MS = 15_000;

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

/** Runs a call, turning a network failure or timeout into BillDownloadError('unreachable'). */
export async function reach<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpCallError || (error as Error).name === 'TimeoutError' || (error as Error).name === 'TypeError') throw new BillDownloadError('unreachable', (error as Error).message);
    throw error;
  }
}

/** Reads a bill, turning a format error into BillDownloadError('malformed'). */
export function readBill(read: () => BillRow[]): BillRow[] {
  try {
    return read();
  } catch (error) {
    if (error instanceof BillFormatError || (error as Error).name === 'ZipFormatError') throw new BillDownloadError('malformed', (error as Error).message);
    throw error;
  }
}
