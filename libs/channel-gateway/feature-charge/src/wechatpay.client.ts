import { channelAnswerFromWechatpay, channelOrderNo, type ChannelAnswer, type WechatpayCall } from '@paystream/channel-gateway/domain';
import { verifyWechatpaySignature, wechatpayAuthorization } from '@paystream/shared/channel-protocols';
import { callText } from '@paystream/shared/platform';
import { channelCall } from './channel-call';
import type { ChannelProtocol, ChargeCall, RefundCall, RefundRef, TradeRef } from './channel-protocol';
import type { WechatpaySettings } from './channel-settings';

/**
 * WeChat Pay API v3: JSON requests authorised with WECHATPAY2-SHA256-RSA2048 over
 * `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`; every answer's Wechatpay-Signature is verified with the
 * platform key (and its timestamp checked for freshness) before anything is read from it. Charges
 * are Native orders: the buyer pays after scanning, and the outcome comes by notification or query.
 */
export class WechatpayClient implements ChannelProtocol {
  constructor(
    private readonly settings: WechatpaySettings,
    private readonly notifyUrl: string,
  ) {}

  charge(c: ChargeCall, timeoutMs: number): Promise<ChannelAnswer> {
    const body = {
      appid: this.settings.appId,
      mchid: this.settings.mchId,
      description: c.subject,
      out_trade_no: channelOrderNo(c.paymentId),
      notify_url: this.notifyUrl,
      amount: { total: Number(c.amountMinor), currency: c.currency },
    };
    return this.call('charge', 'POST', '/v3/pay/transactions/native', body, timeoutMs);
  }

  query(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer> {
    return this.call('query', 'GET', `/v3/pay/transactions/out-trade-no/${channelOrderNo(t.paymentId)}?mchid=${this.settings.mchId}`, undefined, timeoutMs);
  }

  close(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer> {
    return this.call('close', 'POST', `/v3/pay/transactions/out-trade-no/${channelOrderNo(t.paymentId)}/close`, { mchid: this.settings.mchId }, timeoutMs);
  }

  refund(r: RefundCall, timeoutMs: number): Promise<ChannelAnswer> {
    const body = {
      out_trade_no: channelOrderNo(r.paymentId),
      out_refund_no: channelOrderNo(r.refundId),
      amount: { refund: Number(r.amountMinor), total: Number(r.totalMinor), currency: r.currency },
    };
    return this.call('refund', 'POST', '/v3/refund/domestic/refunds', body, timeoutMs);
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no}: the refund's status (SUCCESS, CLOSED, PROCESSING, ABNORMAL). */
  refundQuery(r: RefundRef, timeoutMs: number): Promise<ChannelAnswer> {
    return this.call('refund-query', 'GET', `/v3/refund/domestic/refunds/${channelOrderNo(r.refundId)}`, undefined, timeoutMs);
  }

  private call(kind: WechatpayCall, method: 'GET' | 'POST', url: string, body: unknown, timeoutMs: number): Promise<ChannelAnswer> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const authorization = wechatpayAuthorization({
      mchid: this.settings.mchId,
      serialNo: this.settings.merchantSerialNo,
      privateKeyPem: this.settings.merchantPrivateKeyPem,
      method,
      url,
      body: text,
    });
    const headers: Record<string, string> = { authorization, accept: 'application/json', 'wechatpay-serial': this.settings.platformSerialNo };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return channelCall(async () => {
      const answer = await callText(`${this.settings.baseUrl}${url}`, { method, timeoutMs, headers, ...(body === undefined ? {} : { body: text }) });
      if (answer.status >= 500) return { kind: 'http', status: 503, body: { status: 'ERROR', code: 'HTTP_5XX' } };
      const h = answer.headers;
      const check =
        h['wechatpay-serial'] !== this.settings.platformSerialNo
          ? { ok: false as const, reason: 'unknown platform serial' }
          : verifyWechatpaySignature({
              timestamp: h['wechatpay-timestamp'] ?? '',
              nonce: h['wechatpay-nonce'] ?? '',
              signature: h['wechatpay-signature'] ?? '',
              body: answer.text,
              publicKeyPem: this.settings.platformPublicKeyPem,
            });
      if (!check.ok) return { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: check.reason } };
      let parsed: Record<string, unknown> = {};
      try {
        parsed = answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : {};
      } catch {
        return { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: 'not JSON' } };
      }
      return channelAnswerFromWechatpay(kind, answer.status, parsed);
    });
  }
}
