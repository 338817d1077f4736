import { ALIPAY_REFUND_QUERY_METHOD, channelAnswerFromAlipay, channelOrderNo, type ChannelAnswer } from '@paystream/channel-gateway/domain';
import { alipayAmount, beijingDateTime, signAlipayParams, verifyAlipayResponse } from '@paystream/shared/channel-protocols';
import { callText } from '@paystream/shared/platform';
import { channelCall } from './channel-call';
import type { ChannelProtocol, ChargeCall, RefundCall, RefundRef, TradeRef } from './channel-protocol';
import type { AlipaySettings } from './channel-settings';

/** The buyer's payment code the sandbox presents for barcode payments (Alipay codes start with 25-30). */
const SANDBOX_BUYER_AUTH_CODE = '286648248691290423';

/**
 * Alipay Open API v2: RSA2-signed requests to gateway.do; an answer counts only once its signature
 * verifies over the exact response text. Charges are barcode payments (alipay.trade.pay: the answer
 * usually settles them) or QR orders (alipay.trade.precreate: the buyer scans and pays later); either
 * way the asynchronous notification goes to notify_url.
 */
export class AlipayClient implements ChannelProtocol {
  constructor(
    private readonly settings: AlipaySettings,
    private readonly notifyUrl: string,
  ) {}

  charge(c: ChargeCall, timeoutMs: number): Promise<ChannelAnswer> {
    const order = { out_trade_no: channelOrderNo(c.paymentId), total_amount: alipayAmount(c.amountMinor), subject: c.subject, seller_id: c.merchantId };
    const method = this.settings.chargeMethod;
    const biz = method === 'alipay.trade.pay' ? { ...order, scene: 'bar_code', auth_code: SANDBOX_BUYER_AUTH_CODE } : order;
    return this.call(method, biz, timeoutMs, { notify_url: this.notifyUrl });
  }

  query(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer> {
    return this.call('alipay.trade.query', { out_trade_no: channelOrderNo(t.paymentId) }, timeoutMs);
  }

  close(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer> {
    return this.call('alipay.trade.close', { out_trade_no: channelOrderNo(t.paymentId) }, timeoutMs);
  }

  refund(r: RefundCall, timeoutMs: number): Promise<ChannelAnswer> {
    const biz = { out_trade_no: channelOrderNo(r.paymentId), refund_amount: alipayAmount(r.amountMinor), out_request_no: channelOrderNo(r.refundId) };
    return this.call('alipay.trade.refund', biz, timeoutMs);
  }

  /** alipay.trade.fastpay.refund.query by out_trade_no and out_request_no (the refund's number). */
  refundQuery(r: RefundRef, timeoutMs: number): Promise<ChannelAnswer> {
    return this.call(ALIPAY_REFUND_QUERY_METHOD, { out_trade_no: channelOrderNo(r.paymentId), out_request_no: channelOrderNo(r.refundId) }, timeoutMs);
  }

  private call(method: string, bizContent: Record<string, string>, timeoutMs: number, extra: Record<string, string> = {}): Promise<ChannelAnswer> {
    const params = signAlipayParams(
      { app_id: this.settings.appId, method, format: 'JSON', charset: 'utf-8', timestamp: beijingDateTime(), version: '1.0', ...extra, biz_content: JSON.stringify(bizContent) },
      this.settings.merchantPrivateKeyPem,
    );
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return channelCall(async () => {
      const { status, text } = await callText(`${this.settings.gatewayUrl}?${query}`, { method: 'POST', timeoutMs });
      if (status >= 500) return { kind: 'http', status, body: { status: 'ERROR', code: 'HTTP_5XX' } };
      // the signature covers the exact text: verify before reading anything out of it
      const verified = verifyAlipayResponse(text, method, this.settings.platformPublicKeyPem);
      if (!verified.ok) return { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: verified.reason } };
      return channelAnswerFromAlipay(method, verified.response);
    });
  }
}
