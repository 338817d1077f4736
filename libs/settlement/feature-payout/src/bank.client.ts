import { Inject, Injectable } from '@nestjs/common';
import type { PayoutOutcome } from '@paystream/settlement/domain';
import { callJson, HttpCallError } from '@paystream/shared/platform';
import { PAYOUT_SETTINGS, type PayoutSettings } from './payout-settings';

export type PayoutAnswer = { outcome: 'PAID'; payoutRef: string } | { outcome: Exclude<PayoutOutcome, 'PAID'>; error: string };
export type PayoutQueryAnswer = PayoutAnswer | { outcome: 'NOT_FOUND' };

interface BankBody {
  status?: string;
  payoutId?: string;
  payoutRef?: string;
  code?: string;
}

/**
 * Pays merchants through the bank (global fetch with an AbortSignal.timeout, via callJson) and asks
 * it what became of a payout. The bank pays a payoutId (= settlementId) once, so sending again after
 * a lost answer is safe; asking first keeps the bank's log clean and tells a refusal from a payment.
 * An error answer means the bank did not pay; a timeout or PROCESSING means nobody knows yet.
 */
@Injectable()
export class BankClient {
  constructor(@Inject(PAYOUT_SETTINGS) private readonly settings: PayoutSettings) {}

  async payout(req: { payoutId: string; merchantId: string; accountNo: string | null; amountMinor: bigint; currency: string }): Promise<PayoutAnswer> {
    try {
      const answer = await callJson<BankBody>(`${this.settings.bankUrl}/bank/payouts`, {
        body: { ...req, accountNo: req.accountNo ?? undefined, amountMinor: req.amountMinor.toString() },
        timeoutMs: this.settings.callTimeoutMs,
      });
      return this.read(req.payoutId, answer.status, answer.body);
    } catch (error) {
      if (error instanceof HttpCallError) return { outcome: error.kind === 'timeout' ? 'UNKNOWN' : 'FAILED', error: `${error.kind}: ${error.message}` };
      throw error;
    }
  }

  async query(payoutId: string): Promise<PayoutQueryAnswer> {
    try {
      const answer = await callJson<BankBody>(`${this.settings.bankUrl}/bank/payouts/${encodeURIComponent(payoutId)}`, { method: 'GET', timeoutMs: this.settings.callTimeoutMs });
      if (answer.status === 404) return { outcome: 'NOT_FOUND' };
      const read = this.read(payoutId, answer.status, answer.body);
      // a query that errors tells nothing about the payout
      return read.outcome === 'FAILED' && answer.body?.status !== 'FAILED' ? { outcome: 'UNKNOWN', error: read.error } : read;
    } catch (error) {
      if (error instanceof HttpCallError) return { outcome: 'UNKNOWN', error: `query ${error.kind}: ${error.message}` };
      throw error;
    }
  }

  private read(payoutId: string, status: number, body: BankBody | undefined): PayoutAnswer {
    if (status === 200 && body?.status === 'PAID' && body.payoutId === payoutId && body.payoutRef) return { outcome: 'PAID', payoutRef: body.payoutRef };
    if (status === 200 && body?.status === 'PROCESSING') return { outcome: 'UNKNOWN', error: 'bank is processing the payout' };
    return { outcome: 'FAILED', error: `bank answered HTTP ${status} ${body?.status ?? ''} ${body?.code ?? ''}`.trim() };
  }
}
