import { createHash } from 'node:crypto';
import { alipayTradeStatusBody, reportedOutcomeOf, unionpayResultBody, wechatpayTradeStateBody, type ChannelNotice, type NoticeRejection } from '@paystream/channel-gateway/domain';
import {
  decryptWechatpayResource,
  fenFromAlipayAmount,
  parseBeijingDateTime,
  verifyAlipayParams,
  verifyUnionpay,
  verifyWechatpaySignature,
  WECHATPAY_TIMESTAMP_SKEW_MAX_S,
  type WechatpayEncryptedResource,
} from '@paystream/shared/channel-protocols';
import type { AlipaySettings, UnionpaySettings, WechatpaySettings } from '../channel-settings';

/** A notification whose own send time is further than this from ours is refused as stale (WeChat Pay's 5 minutes, for all). */
export const NOTIFICATION_MAX_SKEW_MS = WECHATPAY_TIMESTAMP_SKEW_MAX_S * 1_000;

/** A verified notification (with the digest of its signature, which catches replays), or why it was refused. */
export type NoticeReading =
  | { ok: true; notice: ChannelNotice; messageDigest: string; ignore?: string }
  | { ok: false; reason: NoticeRejection; detail: string };

const digest = (signature: string) => createHash('sha256').update(signature).digest('hex');
const refuse = (reason: NoticeRejection, detail: string): NoticeReading => ({ ok: false, reason, detail });

/** Alipay: a form POST signed like a request (sign and sign_type left out of the content); notify_time for freshness. */
export function readAlipayNotice(p: Record<string, string>, s: AlipaySettings, nowMs = Date.now()): NoticeReading {
  if (!p.sign || !p.out_trade_no || !p.trade_status || !p.total_amount || !p.notify_id) return refuse('malformed', 'missing sign, out_trade_no, trade_status, total_amount or notify_id');
  if (!verifyAlipayParams(p, s.platformPublicKeyPem, { forNotification: true })) return refuse('bad-signature', 'the notification signature does not verify');
  const sentAt = parseBeijingDateTime(p.notify_time ?? '');
  if (!sentAt || Math.abs(nowMs - sentAt.getTime()) > NOTIFICATION_MAX_SKEW_MS) return refuse('stale', `notify_time ${p.notify_time ?? '(none)'}`);
  let amountMinor: bigint;
  try {
    amountMinor = fenFromAlipayAmount(p.total_amount);
  } catch {
    return refuse('malformed', `total_amount ${p.total_amount}`);
  }
  const body = alipayTradeStatusBody(p.trade_status, p.trade_no);
  return {
    ok: true,
    messageDigest: digest(p.sign),
    notice: {
      channel: 'alipay',
      noticeId: p.notify_id,
      accountId: p.app_id ?? '',
      outTradeNo: p.out_trade_no,
      ...(p.trade_no ? { channelTradeNo: p.trade_no } : {}),
      amountMinor,
      outcome: reportedOutcomeOf(body),
      ...(typeof body.code === 'string' ? { code: body.code } : {}),
    },
  };
}

interface WechatpayNotification {
  id?: string;
  event_type?: string;
  resource?: WechatpayEncryptedResource;
}

interface WechatpayTransaction {
  appid?: string;
  mchid?: string;
  out_trade_no?: string;
  transaction_id?: string;
  trade_state?: string;
  trade_state_desc?: string;
  amount?: { total?: number };
}

/** WeChat Pay: Wechatpay-* headers verified over the exact body with the platform key, then the resource decrypted (AEAD_AES_256_GCM). */
export function readWechatpayNotice(headers: Record<string, string | string[] | undefined>, rawBody: string, s: WechatpaySettings, nowS?: number): NoticeReading {
  const h = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const signature = h('wechatpay-signature');
  if (!signature || !h('wechatpay-timestamp') || !h('wechatpay-nonce')) return refuse('malformed', 'missing Wechatpay-Signature, -Timestamp or -Nonce');
  if (h('wechatpay-serial') !== s.platformSerialNo) return refuse('bad-signature', `unknown platform serial ${h('wechatpay-serial') ?? '(none)'}`);
  const check = verifyWechatpaySignature({ timestamp: h('wechatpay-timestamp')!, nonce: h('wechatpay-nonce')!, body: rawBody, signature, publicKeyPem: s.platformPublicKeyPem, ...(nowS === undefined ? {} : { nowS }) });
  if (!check.ok) return check.reason === 'stale-timestamp' ? refuse('stale', `Wechatpay-Timestamp ${h('wechatpay-timestamp')}`) : refuse('bad-signature', 'the notification signature does not verify');
  let n: WechatpayNotification;
  try {
    n = JSON.parse(rawBody) as WechatpayNotification;
  } catch {
    return refuse('malformed', 'the body is not JSON');
  }
  if (!n.id || !n.resource) return refuse('malformed', 'no id or resource');
  const plain = decryptWechatpayResource(n.resource, s.apiV3Key);
  if (plain === undefined) return refuse('bad-signature', 'the resource does not decrypt (tampered, or another APIv3 key)');
  let t: WechatpayTransaction;
  try {
    t = JSON.parse(plain) as WechatpayTransaction;
  } catch {
    return refuse('malformed', 'the decrypted resource is not JSON');
  }
  if (!t.out_trade_no || typeof t.amount?.total !== 'number' || !Number.isSafeInteger(t.amount.total)) return refuse('malformed', 'no out_trade_no or amount.total');
  const body = wechatpayTradeStateBody(t.trade_state, t.transaction_id, t.trade_state_desc);
  const sameApp = t.appid === s.appId;
  return {
    ok: true,
    messageDigest: digest(signature),
    notice: {
      channel: 'wechatpay',
      noticeId: n.id,
      // an app id that is not ours makes the whole notification someone else's
      accountId: sameApp ? (t.mchid ?? '') : `${t.mchid ?? ''}/${t.appid ?? ''}`,
      outTradeNo: t.out_trade_no,
      ...(t.transaction_id ? { channelTradeNo: t.transaction_id } : {}),
      amountMinor: BigInt(t.amount.total),
      outcome: reportedOutcomeOf(body),
      ...(typeof body.code === 'string' ? { code: body.code } : {}),
    },
  };
}

/** UnionPay ACP: a form POST to backUrl, signMethod 01 verified with the platform certificate. */
export function readUnionpayNotice(p: Record<string, string>, s: UnionpaySettings): NoticeReading {
  if (!p.signature || !p.orderId || !p.respCode || !p.txnAmt) return refuse('malformed', 'missing signature, orderId, respCode or txnAmt');
  if (p.certId !== s.platformCertId || !verifyUnionpay(p, s.platformPublicKeyPem)) return refuse('bad-signature', 'the notification signature does not verify');
  if (!/^\d{1,12}$/.test(p.txnAmt)) return refuse('malformed', `txnAmt ${p.txnAmt}`);
  const body = unionpayResultBody(p.respCode, p.queryId);
  const notice: ChannelNotice = {
    channel: 'unionpay',
    noticeId: p.queryId ?? `${p.orderId}/${p.txnTime ?? ''}`,
    accountId: p.merId ?? '',
    outTradeNo: p.orderId,
    ...(p.queryId ? { channelTradeNo: p.queryId } : {}),
    amountMinor: BigInt(p.txnAmt),
    outcome: reportedOutcomeOf(body),
    ...(typeof body.code === 'string' ? { code: body.code } : {}),
  };
  // refund results also come to backUrl; the refund answer already settled them
  return { ok: true, messageDigest: digest(p.signature), notice, ...(p.txnType && p.txnType !== '01' ? { ignore: `txnType ${p.txnType}` } : {}) };
}
