import { Inject, Injectable } from '@nestjs/common';
import { callJson, HttpCallError } from '@paystream/shared/platform';
import { PAYOUT_SETTINGS, type PayoutSettings } from './payout-settings';

export type PayoutAnswer = { ok: true; payoutRef: string } | { ok: false; error: string };

/**
 * Pays merchants through the bank (global fetch with an AbortSignal.timeout, via callJson); the bank
 * pays a payoutId (= settlementId) once, so asking again after a lost answer is safe.
 */
@Injectable()
export class BankClient {
  constructor(@Inject(PAYOUT_SETTINGS) private readonly settings: PayoutSettings) {}

  async payout(req: { payoutId: string; merchantId: string; amountMinor: bigint; currency: string }): Promise<PayoutAnswer> {
    try {
      const answer = await callJson<{ status?: string; payoutId?: string; payoutRef?: string; code?: string }>(`${this.settings.bankUrl}/bank/payouts`, {
        body: { ...req, amountMinor: req.amountMinor.toString() },
        timeoutMs: this.settings.callTimeoutMs,
      });
      if (answer.status === 200 && answer.body?.status === 'PAID' && answer.body.payoutId === req.payoutId && answer.body.payoutRef) return { ok: true, payoutRef: answer.body.payoutRef };
      return { ok: false, error: `bank answered HTTP ${answer.status} ${answer.body?.status ?? ''} ${answer.body?.code ?? ''}`.trim() };
    } catch (error) {
      if (error instanceof HttpCallError) return { ok: false, error: `${error.kind}: ${error.message}` };
      throw error;
    }
  }
}
