import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Channel } from '@paystream/contracts';
import type { ChannelAnswer } from '@paystream/channel-gateway/domain';
import { callJson, HttpCallError } from '@paystream/shared/platform';
import { ChannelBreakers } from './channel-breakers';
import { CHANNEL_QUERY_TIMEOUT_MS, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';

/**
 * Calls the channels (the emulator's plain-HTTP API until the real protocols land), each call
 * through its channel's breaker.
 */
@Injectable()
export class ChannelClient implements OnApplicationShutdown {
  constructor(
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
    @Inject(ChannelBreakers) private readonly breakers: ChannelBreakers,
  ) {}

  /** Charges; idempotent at the channel by outTradeNo (= paymentId), so retrying never charges twice. */
  charge(req: { outTradeNo: string; channel: Channel; merchantId: string; amountMinor: bigint; currency: string; subject: string }): Promise<ChannelAnswer> {
    return this.breakers.run(req.channel, 'charge', () =>
      this.call(`${this.settings.emulatorUrl}/sandbox/charges`, { ...req, amountMinor: req.amountMinor.toString() }, this.settings.chargeTimeoutMs),
    );
  }

  query(channel: Channel, outTradeNo: string): Promise<ChannelAnswer> {
    return this.breakers.run(channel, 'query', () =>
      this.call(`${this.settings.emulatorUrl}/sandbox/charges/${encodeURIComponent(outTradeNo)}`, undefined, CHANNEL_QUERY_TIMEOUT_MS),
    );
  }

  /** Refunds; idempotent at the channel by outRefundNo (= refundId), never beyond the charge. */
  refund(req: { channel: Channel; outRefundNo: string; outTradeNo: string; amountMinor: bigint }): Promise<ChannelAnswer> {
    return this.breakers.run(req.channel, 'refund', () =>
      this.call(
        `${this.settings.emulatorUrl}/sandbox/refunds`,
        { outRefundNo: req.outRefundNo, outTradeNo: req.outTradeNo, amountMinor: req.amountMinor.toString() },
        this.settings.chargeTimeoutMs,
      ),
    );
  }

  onApplicationShutdown(): void {
    this.breakers.shutdown();
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
