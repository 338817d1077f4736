import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Channel } from '@paystream/contracts';
import type { ChannelAnswer } from '@paystream/channel-gateway/domain';
import { callJson } from '@paystream/shared/platform';
import { alipayAmount } from '@paystream/shared/channel-protocols';
import { AlipayClient } from './alipay.client';
import { ChannelBreakers } from './channel-breakers';
import { channelCall } from './channel-call';
import { CHANNEL_QUERY_TIMEOUT_MS, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';

/** The buyer's payment code the sandbox presents for barcode payments (Alipay codes start with 25-30). */
const SANDBOX_BUYER_AUTH_CODE = '286648248691290423';

/**
 * Calls the channels (the emulator's plain-HTTP API until the real protocols land), each call
 * through its channel's breaker.
 */
@Injectable()
export class ChannelClient implements OnApplicationShutdown {
  private readonly alipay: AlipayClient | undefined;

  constructor(
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
    @Inject(ChannelBreakers) private readonly breakers: ChannelBreakers,
  ) {
    this.alipay = settings.alipay ? new AlipayClient(settings.alipay) : undefined;
  }

  /** Charges; idempotent at the channel by outTradeNo (= paymentId), so retrying never charges twice. */
  charge(req: { outTradeNo: string; channel: Channel; merchantId: string; amountMinor: bigint; currency: string; subject: string }): Promise<ChannelAnswer> {
    const alipay = this.alipay;
    if (req.channel === 'alipay' && alipay) {
      // barcode payment: the charge completes (or not) in the answer itself
      const biz = { out_trade_no: req.outTradeNo, total_amount: alipayAmount(req.amountMinor), subject: req.subject, scene: 'bar_code', auth_code: SANDBOX_BUYER_AUTH_CODE, seller_id: req.merchantId };
      return this.breakers.run('alipay', 'charge', () => alipay.call('alipay.trade.pay', biz, this.settings.chargeTimeoutMs));
    }
    return this.breakers.run(req.channel, 'charge', () =>
      this.call(`${this.settings.emulatorUrl}/sandbox/charges`, { ...req, amountMinor: req.amountMinor.toString() }, this.settings.chargeTimeoutMs),
    );
  }

  query(channel: Channel, outTradeNo: string): Promise<ChannelAnswer> {
    const alipay = this.alipay;
    if (channel === 'alipay' && alipay) return this.breakers.run('alipay', 'query', () => alipay.call('alipay.trade.query', { out_trade_no: outTradeNo }, CHANNEL_QUERY_TIMEOUT_MS));
    return this.breakers.run(channel, 'query', () =>
      this.call(`${this.settings.emulatorUrl}/sandbox/charges/${encodeURIComponent(outTradeNo)}`, undefined, CHANNEL_QUERY_TIMEOUT_MS),
    );
  }

  /** Refunds; idempotent at the channel by outRefundNo (= refundId), never beyond the charge. */
  refund(req: { channel: Channel; outRefundNo: string; outTradeNo: string; amountMinor: bigint }): Promise<ChannelAnswer> {
    const alipay = this.alipay;
    if (req.channel === 'alipay' && alipay) {
      const biz = { out_trade_no: req.outTradeNo, refund_amount: alipayAmount(req.amountMinor), out_request_no: req.outRefundNo };
      return this.breakers.run('alipay', 'refund', () => alipay.call('alipay.trade.refund', biz, this.settings.chargeTimeoutMs));
    }
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

  private call(url: string, body: unknown, timeoutMs: number): Promise<ChannelAnswer> {
    return channelCall(async () => {
      const answer = await callJson(url, { body, timeoutMs });
      return { kind: 'http', status: answer.status, body: answer.body };
    });
  }
}
