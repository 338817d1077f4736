import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { z } from 'zod';
import { CHANNELS, type Channel, storableText } from '@paystream/contracts';
import { ReconciliationSourceRepository } from '@paystream/channel-gateway/data-access';
import { channelOrderNo } from '@paystream/channel-gateway/domain';
import { beijingDayStart, DAY_MS } from '@paystream/shared/channel-protocols';
import { ApiError, Platform } from '@paystream/shared/platform';
import { BillDownloadError, type BillDownloader } from './bill-download';

export const BILL_DOWNLOADERS = Symbol('BILL_DOWNLOADERS');

export const dateSchema = storableText().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'date is yyyy-MM-dd (a Beijing day)');

/** A Beijing day as [start, end), or a 400 for a date that is not one. */
function dayOf(date: unknown): { date: string; start: Date; end: Date } {
  const d = dateSchema.safeParse(date);
  if (!d.success) throw new ApiError('VALIDATION_FAILED', 'date is yyyy-MM-dd (a Beijing day)');
  let start: Date;
  try {
    start = beijingDayStart(d.data);
  } catch {
    throw new ApiError('VALIDATION_FAILED', `${d.data} is not a day`);
  }
  return { date: d.data, start, end: new Date(start.getTime() + DAY_MS) };
}

/**
 * What reconciliation (in settlement) needs from the gateway, which owns the channels' protocols and keys:
 * a channel's daily bill, downloaded and read (amounts as fen strings), and our own records of the day.
 */
@Controller()
export class ReconciliationSourceController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ReconciliationSourceRepository) private readonly records: ReconciliationSourceRepository,
    @Inject(BILL_DOWNLOADERS) private readonly downloaders: Record<Channel, BillDownloader>,
  ) {}

  /** GET /reconciliation/bills/:channel/:date: the rows of the channel's bill for a Beijing day. */
  @Get('reconciliation/bills/:channel/:date')
  @Allow('service:settlement')
  async bill(@Param('channel') channel: string, @Param('date') date: string) {
    const day = dayOf(date);
    if (!(CHANNELS as readonly string[]).includes(channel)) throw new ApiError('RECONCILIATION_CHANNEL_UNSUPPORTED', `bills are downloaded for ${CHANNELS.join(', ')}`);
    try {
      const rows = await this.downloaders[channel as Channel].download(day.date);
      return {
        channel,
        date: day.date,
        rows: rows.map((r) => ({ ...r, amountMinor: r.amountMinor.toString(), feeMinor: r.feeMinor.toString() })),
      };
    } catch (error) {
      if (!(error instanceof BillDownloadError)) throw error;
      this.platform.logger.warn({ channel, date: day.date, reason: error.reason, err: error.message }, 'bill download failed');
      throw new ApiError('RECONCILIATION_BILL_UNAVAILABLE', error.message, { reason: error.reason });
    }
  }

  /** GET /channel-transactions?channel=&date=: our payments and refunds on a channel around a Beijing day. */
  @Get('channel-transactions')
  @Allow('service:settlement')
  async ofDay(@Query('channel') channel: string | undefined, @Query('date') date: string | undefined) {
    const day = dayOf(date);
    const c = z.enum(CHANNELS).safeParse(channel);
    if (!c.success) throw new ApiError('VALIDATION_FAILED', `channel is one of ${CHANNELS.join(', ')}`);
    const records = await this.records.around(this.platform.ds.manager, c.data, day.start, day.end);
    return {
      channel: c.data,
      date: day.date,
      records: records.map((r) => ({
        kind: r.kind,
        paymentId: r.paymentId,
        ...(r.refundId ? { refundId: r.refundId, outRefundNo: channelOrderNo(r.refundId) } : {}),
        outTradeNo: channelOrderNo(r.paymentId),
        channelTradeNo: r.channelTradeNo,
        amountMinor: r.amountMinor.toString(),
        currency: r.currency,
        status: r.status,
        onDay: r.onDay,
        at: r.at.toISOString(),
      })),
    };
  }
}
