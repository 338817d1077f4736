import { channelAnswerFromUnionpay, channelOrderNo, type ChannelAnswer, type UnionpayCall } from '@paystream/channel-gateway/domain';
import {
  beijingCompactTime,
  decodeUnionpayForm,
  encodeUnionpayForm,
  signUnionpay,
  UNIONPAY_CURRENCY_CNY,
  verifyUnionpay,
  type UnionpayParams,
} from '@paystream/shared/channel-protocols';
import { callText, HttpCallError } from '@paystream/shared/platform';
import { channelCall } from './channel-call';
import type { ChannelProtocol, ChargeCall, RefundCall, RefundRef, TradeRef } from './channel-protocol';
import type { UnionpaySettings } from './channel-settings';

/** ACP 5.1.0 constants: version, encoding, access type (0: merchant direct), channel type (07: internet). */
const ACP_COMMON = { version: '5.1.0', encoding: 'UTF-8', accessType: '0', channelType: '07' } as const;
/** The token requestor id of token payments (bizType 000902). */
export const UNIONPAY_TOKEN_REQUESTOR_ID = '62000000001';

/**
 * UnionPay online payments (ACP 5.1.0) for bank cards: form-encoded `k=v` requests signed with
 * signMethod 01, answers verified the same way before they are read. A consume answered 00 is
 * accepted, not paid: the result comes by backUrl notification or by query (origRespCode).
 * Cards are paid by token (bizType 000902): the card number never passes through here after
 * tokenisation.
 */
export class UnionpayClient implements ChannelProtocol {
  constructor(
    private readonly settings: UnionpaySettings,
    private readonly notifyUrl: string,
  ) {}

  charge(c: ChargeCall, timeoutMs: number): Promise<ChannelAnswer> {
    const params: UnionpayParams = {
      ...ACP_COMMON,
      txnType: '01',
      txnSubType: '01',
      bizType: '000902',
      merId: this.settings.merId,
      orderId: channelOrderNo(c.paymentId),
      txnTime: beijingCompactTime(c.createdAt),
      txnAmt: c.amountMinor.toString(),
      currencyCode: UNIONPAY_CURRENCY_CNY,
      backUrl: this.notifyUrl,
      orderDesc: c.subject,
    };
    if (c.channelCardToken) params.tokenPayData = `{token=${c.channelCardToken}&trId=${UNIONPAY_TOKEN_REQUESTOR_ID}}`;
    return this.call('charge', '/gateway/api/backTransReq.do', params, timeoutMs);
  }

  query(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer> {
    const params = { ...ACP_COMMON, txnType: '00', txnSubType: '00', bizType: '000000', merId: this.settings.merId, orderId: channelOrderNo(t.paymentId), txnTime: beijingCompactTime(t.createdAt) };
    return this.call('query', '/gateway/api/queryTrans.do', params, timeoutMs);
  }

  /** ACP has no close for an unpaid consume: the answer says the trade cannot be closed, so the janitor keeps querying. */
  close(): Promise<ChannelAnswer> {
    return Promise.resolve({ kind: 'http', status: 200, body: { status: 'ERROR', code: 'CLOSE_NOT_SUPPORTED' } });
  }

  refund(r: RefundCall, timeoutMs: number): Promise<ChannelAnswer> {
    const params = {
      ...ACP_COMMON,
      txnType: '04',
      txnSubType: '00',
      bizType: '000902',
      merId: this.settings.merId,
      orderId: channelOrderNo(r.refundId),
      origQryId: r.channelTradeNo,
      txnTime: beijingCompactTime(r.sentAt),
      txnAmt: r.amountMinor.toString(),
      currencyCode: UNIONPAY_CURRENCY_CNY,
      backUrl: this.notifyUrl,
    };
    return this.call('refund', '/gateway/api/backTransReq.do', params, timeoutMs);
  }

  /**
   * The transaction status query (txnType 00) of the refund itself: its orderId and txnTime, as it
   * was sent; origRespCode tells how the refund (txnType 04) ended.
   */
  refundQuery(r: RefundRef, timeoutMs: number): Promise<ChannelAnswer> {
    const params = { ...ACP_COMMON, txnType: '00', txnSubType: '00', bizType: '000000', merId: this.settings.merId, orderId: channelOrderNo(r.refundId), txnTime: beijingCompactTime(r.sentAt) };
    return this.call('refund-query', '/gateway/api/queryTrans.do', params, timeoutMs);
  }

  /** Opens a token for a card (txnType 79): the card number and CVN2 go encrypted to the channel, only the token comes back. */
  openToken(encrypted: { accNo: string; customerInfo: string; encryptCertId: string }, requestId: string, timeoutMs: number): Promise<{ ok: true; token: string } | { ok: false; code: string }> {
    const params = {
      ...ACP_COMMON,
      txnType: '79',
      txnSubType: '00',
      bizType: '000902',
      merId: this.settings.merId,
      orderId: requestId,
      txnTime: beijingCompactTime(),
      tokenPayData: `{trId=${UNIONPAY_TOKEN_REQUESTOR_ID}&tokenType=01}`,
      ...encrypted,
    };
    return this.post('/gateway/api/backTransReq.do', params, timeoutMs).then(
      (p) => {
        if (!p) return { ok: false, code: 'UNVERIFIED' };
        const token = /token=([^&}]+)/.exec(p.tokenPayData ?? '')?.[1];
        return p.respCode === '00' && token ? { ok: true, token } : { ok: false, code: `RESP_${p.respCode ?? ''}` };
      },
      // no answer: no token was opened that we know of; the shopper may try again
      (error: unknown) => ({ ok: false, code: error instanceof HttpCallError ? `NO_ANSWER_${error.kind.toUpperCase()}` : 'ERROR' }),
    );
  }

  private call(kind: UnionpayCall, path: string, params: UnionpayParams, timeoutMs: number): Promise<ChannelAnswer> {
    return channelCall(async () => {
      const answer = await this.postRaw(path, params, timeoutMs);
      if (answer.status >= 500) return { kind: 'http', status: 503, body: { status: 'ERROR', code: 'HTTP_5XX' } };
      const p = decodeUnionpayForm(answer.text);
      if (!verifyUnionpay(p, this.settings.platformPublicKeyPem) || p.certId !== this.settings.platformCertId) {
        return { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: p.respCode === '11' ? 'RESP_11' : 'the answer signature does not verify' } };
      }
      return channelAnswerFromUnionpay(kind, p);
    });
  }

  private async post(path: string, params: UnionpayParams, timeoutMs: number): Promise<UnionpayParams | undefined> {
    const answer = await this.postRaw(path, params, timeoutMs);
    const p = decodeUnionpayForm(answer.text);
    return answer.status < 500 && verifyUnionpay(p, this.settings.platformPublicKeyPem) ? p : undefined;
  }

  private postRaw(path: string, params: UnionpayParams, timeoutMs: number) {
    const signed = signUnionpay(params, this.settings.merchantPrivateKeyPem, this.settings.merchantCertId);
    return callText(`${this.settings.baseUrl}${path}`, {
      method: 'POST',
      timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: encodeUnionpayForm(signed),
    });
  }
}
