import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { storableText } from '@paystream/contracts';
import { callJson } from '@paystream/shared/platform';
import type { ChannelBillEntry, OurEntry } from './match/reconciliation-matcher';
import { RECONCILE_SETTINGS, RECONCILIATION_SOURCE_TIMEOUT_MS, type ReconcileSettings } from './reconcile-settings';

const fen = storableText().regex(/^\d+$/).transform((s) => BigInt(s));
export const billSchema = z.object({
  rows: z.array(z.object({ kind: z.enum(['payment', 'refund']), outTradeNo: storableText(), channelTradeNo: storableText(), outRefundNo: storableText().optional(), amountMinor: fen })),
});
export const oursSchema = z.object({
  records: z.array(
    z.object({
      kind: z.enum(['payment', 'refund']),
      paymentId: storableText(),
      refundId: storableText().optional(),
      outTradeNo: storableText(),
      outRefundNo: storableText().optional(),
      channelTradeNo: storableText().nullable(),
      amountMinor: fen,
      status: z.enum(['SUCCEEDED', 'FAILED', 'UNKNOWN']),
      onDay: z.boolean(),
    }),
  ),
});

/** Why a side of the reconciliation could not be had. */
export class ReconciliationSourceError extends Error {
  override name = 'ReconciliationSourceError';
}

/** The two sides channel-gateway provides: the channel's bill of a day, and our channel transactions around it. */
@Injectable()
export class ReconciliationSourcesClient {
  constructor(@Inject(RECONCILE_SETTINGS) private readonly settings: ReconcileSettings) {}

  async bill(channel: string, date: string): Promise<ChannelBillEntry[]> {
    const body = await this.get(`/reconciliation/bills/${channel}/${date}`, billSchema, `the ${channel} bill of ${date}`);
    return body.rows.map((r) => ({ kind: r.kind, outTradeNo: r.outTradeNo, channelTradeNo: r.channelTradeNo, amountMinor: r.amountMinor, ...(r.outRefundNo ? { outRefundNo: r.outRefundNo } : {}) }));
  }

  async ours(channel: string, date: string): Promise<OurEntry[]> {
    const body = await this.get(`/channel-transactions?channel=${channel}&date=${date}`, oursSchema, `our ${channel} transactions of ${date}`);
    return body.records.map((r) => ({
      kind: r.kind,
      id: r.refundId ?? r.paymentId,
      paymentId: r.paymentId,
      outTradeNo: r.outTradeNo,
      ...(r.outRefundNo ? { outRefundNo: r.outRefundNo } : {}),
      channelTradeNo: r.channelTradeNo,
      amountMinor: r.amountMinor,
      status: r.status,
      onDay: r.onDay,
    }));
  }

  private async get<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
    let answer;
    try {
      answer = await callJson<{ error?: { code?: string; detail?: string } }>(`${this.settings.gatewayUrl}${path}`, {
        timeoutMs: RECONCILIATION_SOURCE_TIMEOUT_MS,
        ...(this.settings.serviceToken ? { headers: { authorization: `Bearer ${this.settings.serviceToken}` } } : {}),
      });
    } catch (error) {
      throw new ReconciliationSourceError(`${what}: ${(error as Error).message}`);
    }
    if (answer.status !== 200) throw new ReconciliationSourceError(`${what}: channel-gateway answered ${answer.status} ${answer.body?.error?.code ?? ''} ${answer.body?.error?.detail ?? ''}`.trim());
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) throw new ReconciliationSourceError(`${what}: channel-gateway's answer is not what was expected`);
    return parsed.data;
  }
}
