import { Inject, Injectable } from '@nestjs/common';
import type { Channel } from '@paystream/contracts';
import type { ChannelAnswer } from '@paystream/channel-gateway/domain';
import { callJson, HttpCallError } from '@paystream/shared/platform';
import { CHANNEL_QUERY_TIMEOUT_MS, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';

/** Calls the channel (the emulator's plain-HTTP API until the real protocols land). */
@Injectable()
export class ChannelClient {
  constructor(@Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings) {}

  /** Charges; idempotent at the channel by outTradeNo (= paymentId), so retrying never charges twice. */
  charge(req: { outTradeNo: string; channel: Channel; merchantId: string; amountMinor: bigint; currency: string; subject: string }): Promise<ChannelAnswer> {
    return this.call(`${this.settings.emulatorUrl}/sandbox/charges`, { ...req, amountMinor: req.amountMinor.toString() }, this.settings.chargeTimeoutMs);
  }

  query(outTradeNo: string): Promise<ChannelAnswer> {
    return this.call(`${this.settings.emulatorUrl}/sandbox/charges/${encodeURIComponent(outTradeNo)}`, undefined, CHANNEL_QUERY_TIMEOUT_MS);
  }

  private async call(url: string, body: unknown, timeoutMs: number): Promise<ChannelAnswer> {
    try {
      const answer = await callJson(url, { body, timeoutMs });
      return { kind: 'http', status: answer.status, body: answer.body };
    } catch (error) {
      if (error instanceof HttpCallError) return error.kind === 'timeout' ? { kind: 'timeout' } : { kind: 'network', detail: error.message };
      throw error;
    }
  }
}
