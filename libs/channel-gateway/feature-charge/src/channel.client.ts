import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Channel } from '@paystream/contracts';
import type { ChannelAnswer } from '@paystream/channel-gateway/domain';
import { AlipayClient } from './alipay.client';
import { ChannelBreakers, type ChannelOperation } from './channel-breakers';
import type { ChannelProtocol, ChargeCall, RefundCall, RefundRef, TradeRef } from './channel-protocol';
import { CHANNEL_QUERY_TIMEOUT_MS, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { UnionpayClient } from './unionpay.client';
import { WechatpayClient } from './wechatpay.client';

/** The path each channel's notifications arrive at, under the gateway's notifyBaseUrl. */
export const notifyPath = (channel: Channel) => `/notify/${channel}`;

/**
 * Calls the channels in their own protocols, each call through its channel's breaker (one per
 * channel and operation). Charges are idempotent at the channel by the order number, refunds by the
 * refund number.
 */
@Injectable()
export class ChannelClient implements OnApplicationShutdown {
  readonly unionpay: UnionpayClient;
  private readonly protocols: Record<Channel, ChannelProtocol>;

  constructor(
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
    @Inject(ChannelBreakers) private readonly breakers: ChannelBreakers,
  ) {
    const url = (c: Channel) => `${settings.notifyBaseUrl}${notifyPath(c)}`;
    this.unionpay = new UnionpayClient(settings.unionpay, url('unionpay'));
    this.protocols = {
      alipay: new AlipayClient(settings.alipay, url('alipay')),
      wechatpay: new WechatpayClient(settings.wechatpay, url('wechatpay')),
      unionpay: this.unionpay,
    };
  }

  charge(channel: Channel, c: ChargeCall): Promise<ChannelAnswer> {
    return this.run(channel, 'charge', (p) => p.charge(c, this.settings.chargeTimeoutMs));
  }

  query(channel: Channel, t: TradeRef): Promise<ChannelAnswer> {
    return this.run(channel, 'query', (p) => p.query(t, CHANNEL_QUERY_TIMEOUT_MS));
  }

  close(channel: Channel, t: TradeRef): Promise<ChannelAnswer> {
    return this.run(channel, 'close', (p) => p.close(t, CHANNEL_QUERY_TIMEOUT_MS));
  }

  refund(channel: Channel, r: RefundCall): Promise<ChannelAnswer> {
    return this.run(channel, 'refund', (p) => p.refund(r, this.settings.chargeTimeoutMs));
  }

  refundQuery(channel: Channel, r: RefundRef): Promise<ChannelAnswer> {
    return this.run(channel, 'refund-query', (p) => p.refundQuery(r, CHANNEL_QUERY_TIMEOUT_MS));
  }

  onApplicationShutdown(): void {
    this.breakers.shutdown();
  }

  private run(channel: Channel, operation: ChannelOperation, call: (p: ChannelProtocol) => Promise<ChannelAnswer>): Promise<ChannelAnswer> {
    const protocol = this.protocols[channel];
    return this.breakers.run(channel, operation, () => call(protocol));
  }
}
