import { randomBytes, randomUUID } from 'node:crypto';
import {
  alipayAmount,
  beijingCompactTime,
  beijingDateTime,
  beijingRfc3339,
  encodeUnionpayForm,
  encryptWechatpayResource,
  rsaSha256Sign,
  signAlipayParams,
  signUnionpay,
  UNIONPAY_CURRENCY_CNY,
  wechatpayResponseMessage,
  type PlatformKeyRing,
} from '@paystream/shared/channel-protocols';
import { currentTrace, nextTraceparent, type Logger } from '@paystream/shared/observability';
import type { NotificationDue, SandboxChannel, Trade } from './channel-sandbox';
import type { SandboxFaults } from './fault-plan';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Each channel's retry schedule after a delivery that was not acknowledged (delays between attempts):
 * Alipay about 8 times over 25 hours; WeChat Pay 15 times over 24 hours; UnionPay (ACP backUrl) at
 * growing intervals. The emulator runs them scaled (CHANNEL_EMULATOR_NOTIFY_TIME_SCALE).
 */
export const NOTIFY_RETRY_SCHEDULES_MS: Readonly<Record<SandboxChannel, readonly number[]>> = {
  alipay: [4 * MINUTE_MS, 10 * MINUTE_MS, 10 * MINUTE_MS, HOUR_MS, 2 * HOUR_MS, 6 * HOUR_MS, 15 * HOUR_MS],
  wechatpay: [15_000, 15_000, 30_000, 3 * MINUTE_MS, 10 * MINUTE_MS, 20 * MINUTE_MS, 30 * MINUTE_MS, 30 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS, 3 * HOUR_MS, 3 * HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 6 * HOUR_MS],
  unionpay: [MINUTE_MS, 2 * MINUTE_MS, 4 * MINUTE_MS, 8 * MINUTE_MS, 16 * MINUTE_MS],
};

/** How long the emulator waits for the merchant's acknowledgement of one delivery. */
const DELIVERY_TIMEOUT_MS = 5_000;

export interface NotifierIds {
  alipayAppId: string;
  wechatpayMchId: string;
  wechatpayAppId: string;
  unionpayMerId: string;
}

/** One delivery attempt, kept for the sandbox API (tests and drills read it). */
export interface DeliveryRecord {
  channel: SandboxChannel;
  outTradeNo: string;
  noticeId: string;
  reports: string;
  attempt: number;
  at: string;
  status: number | 'no-answer';
  acknowledged: boolean;
  /** Set when a fault made this delivery: a second copy, one held back past the next notification, or an old one replayed. */
  fault?: DeliveryFault;
}

export type DeliveryFault = 'duplicate' | 'reordered' | 'replay';

interface Message {
  headers: Record<string, string>;
  body: string;
}

const DELIVERY_LOG_MAX = 5_000;
/** Acknowledged notifications kept for replay-old-notification. */
const REPLAY_POOL_MAX = 200;
/** A notification held back by reorder-notifications goes out after the next one, or after this long if none follows. */
export const REORDER_HOLD_MAX_MS = 5_000;

/** A notification the merchant acknowledged, exactly as it was sent (a replay re-sends these bytes). */
interface Delivered {
  channel: SandboxChannel;
  outTradeNo: string;
  noticeId: string;
  reports: string;
  notifyUrl: string;
  message: Message;
}

/**
 * Sends the channels' asynchronous notifications as each channel does: signed with the platform key
 * (WeChat Pay's resource encrypted with the APIv3 key), each delivery signed afresh, retried on the
 * channel's schedule until the merchant acknowledges it the channel's way (Alipay: the text
 * `success`; WeChat Pay: 200/204; UnionPay: 200).
 */
export class NotificationSender {
  private readonly deliveries: DeliveryRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly delivered: Delivered[] = [];
  private held: { start: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(
    private readonly keys: PlatformKeyRing,
    private readonly ids: NotifierIds,
    private readonly timeScale: number,
    private readonly logger: Logger,
    /** The chaos runner's notification faults (drop, duplicate, reorder, replay); none when absent. */
    private readonly faults?: SandboxFaults,
  ) {}

  send(due: NotificationDue): void {
    const { trade } = due;
    if (!trade.notifyUrl) return;
    const noticeId = due.trade.channel === 'wechatpay' ? randomUUID() : `${trade.outTradeNo}-${randomBytes(4).toString('hex')}`;
    // WeChat Pay encrypts the resource once per notification; the headers are signed per delivery
    const wechatBody = trade.channel === 'wechatpay' ? this.wechatpayBody(trade, noticeId) : undefined;
    const build = (): Message => {
      if (trade.channel === 'alipay') return this.alipayMessage(trade, noticeId, due.reports);
      if (trade.channel === 'wechatpay') return this.signWechatpay(wechatBody!);
      return this.unionpayMessage(trade);
    };
    const faults = this.notificationFaults(trade);
    if (faults.drop) return;
    const start = (fault?: DeliveryFault) => {
      const first = this.attempt(trade, noticeId, due.reports, build, 0, fault);
      if (faults.duplicate) void this.attempt(trade, noticeId, due.reports, build, 0, 'duplicate');
      if (faults.replay) void first.then(() => this.replay(faults.replay!));
      return first;
    };
    if (faults.reorder) {
      this.hold(() => void start('reordered'));
      return;
    }
    void start().finally(() => this.releaseHeld());
  }

  /**
   * The faults that hit this notification, decided in a fixed order (a dropped one draws no more):
   * dropped (never sent, no retries); held back until the next notification has been delivered;
   * sent twice at once; followed by an acknowledged notification of an older trade, replayed byte for byte.
   */
  private notificationFaults(trade: Trade): { drop: boolean; reorder: boolean; duplicate: boolean; replay?: Delivered } {
    const f = this.faults;
    if (!f) return { drop: false, reorder: false, duplicate: false };
    if (f.decide('drop-notifications', trade.channel)) {
      this.logger.warn({ channel: trade.channel, outTradeNo: trade.outTradeNo, fault: 'drop-notifications' }, 'fault: notification dropped');
      return { drop: true, reorder: false, duplicate: false };
    }
    const reorder = f.decide('reorder-notifications', trade.channel);
    const duplicate = f.decide('duplicate-notifications', trade.channel);
    const older = this.delivered.filter((d) => d.channel === trade.channel && d.outTradeNo !== trade.outTradeNo);
    const replay = older.length > 0 && f.decide('replay-old-notification', trade.channel) ? older[f.pick('replay-old-notification', trade.channel, older.length)] : undefined;
    return { drop: false, reorder, duplicate, ...(replay ? { replay } : {}) };
  }

  private hold(start: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.held = this.held.filter((h) => h.timer !== timer);
      start();
    }, REORDER_HOLD_MAX_MS);
    timer.unref();
    this.timers.add(timer);
    this.held.push({ start, timer });
  }

  /** Sends the notifications held back, now that a later one has been delivered. */
  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) {
      clearTimeout(h.timer);
      this.timers.delete(h.timer);
      h.start();
    }
  }

  /** Re-sends an old notification exactly as it was acknowledged, once (a replay has no retries). */
  private async replay(old: Delivered): Promise<void> {
    const { status, acknowledged } = await this.post(old.channel, old.notifyUrl, old.message);
    this.logger.warn({ channel: old.channel, outTradeNo: old.outTradeNo, status, fault: 'replay-old-notification' }, 'fault: old notification replayed');
    this.record({ channel: old.channel, outTradeNo: old.outTradeNo, noticeId: old.noticeId, reports: old.reports, attempt: 1, at: new Date().toISOString(), status, acknowledged, fault: 'replay' });
  }

  /** Deliveries made for a trade (all when outTradeNo is omitted), oldest first. */
  log(outTradeNo?: string): DeliveryRecord[] {
    return outTradeNo ? this.deliveries.filter((d) => d.outTradeNo === outTradeNo) : [...this.deliveries];
  }

  reset(): void {
    this.stop();
    this.deliveries.length = 0;
    this.delivered.length = 0;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = [];
  }

  private async attempt(trade: Trade, noticeId: string, reports: string, build: () => Message, attempt: number, fault?: DeliveryFault): Promise<void> {
    const message = build();
    const { status, acknowledged } = await this.post(trade.channel, trade.notifyUrl!, message);
    this.record({ channel: trade.channel, outTradeNo: trade.outTradeNo, noticeId, reports, attempt: attempt + 1, at: new Date().toISOString(), status, acknowledged, ...(fault ? { fault } : {}) });
    if (acknowledged) {
      this.delivered.push({ channel: trade.channel, outTradeNo: trade.outTradeNo, noticeId, reports, notifyUrl: trade.notifyUrl!, message });
      if (this.delivered.length > REPLAY_POOL_MAX) this.delivered.shift();
      return;
    }
    const schedule = NOTIFY_RETRY_SCHEDULES_MS[trade.channel];
    if (attempt >= schedule.length) {
      this.logger.warn({ channel: trade.channel, outTradeNo: trade.outTradeNo, attempts: attempt + 1 }, 'notification never acknowledged; giving up as the channel does');
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(trade, noticeId, reports, build, attempt + 1, fault);
    }, Math.max(1, Math.round(schedule[attempt]! * this.timeScale)));
    timer.unref();
    this.timers.add(timer);
  }

  /** One delivery: acknowledged when the merchant answers the channel's way. */
  private async post(channel: SandboxChannel, url: string, message: Message): Promise<{ status: number | 'no-answer'; acknowledged: boolean }> {
    try {
      // a sandbox convenience: the notification continues the trace of the charge that caused it (real channels send none)
      const headers = currentTrace() ? { ...message.headers, traceparent: nextTraceparent() } : message.headers;
      const res = await fetch(url, { method: 'POST', headers, body: message.body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      const text = await res.text();
      const acknowledged = channel === 'alipay' ? res.status === 200 && text.trim() === 'success' : channel === 'wechatpay' ? res.status === 200 || res.status === 204 : res.status === 200;
      return { status: res.status, acknowledged };
    } catch {
      // no answer: retried on the schedule
      return { status: 'no-answer', acknowledged: false };
    }
  }

  private record(delivery: DeliveryRecord): void {
    this.deliveries.push(delivery);
    if (this.deliveries.length > DELIVERY_LOG_MAX) this.deliveries.shift();
  }

  private alipayMessage(trade: Trade, noticeId: string, reports: string): Message {
    const paid = reports === 'SUCCESS';
    const params = signAlipayParams(
      {
        notify_time: beijingDateTime(),
        notify_type: 'trade_status_sync',
        notify_id: noticeId,
        app_id: this.ids.alipayAppId,
        charset: 'utf-8',
        version: '1.0',
        trade_no: trade.channelTradeNo,
        out_trade_no: trade.outTradeNo,
        seller_id: trade.merchantId,
        trade_status: paid ? 'TRADE_SUCCESS' : 'WAIT_BUYER_PAY',
        total_amount: alipayAmount(trade.amountMinor),
        ...(paid ? { receipt_amount: alipayAmount(trade.amountMinor), gmt_payment: beijingDateTime(trade.paidAt) } : {}),
        gmt_create: beijingDateTime(trade.createdAt),
        subject: trade.subject,
      },
      this.keys.alipay.platformPrivateKeyPem,
      { forNotification: true },
    );
    const body = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body };
  }

  private wechatpayBody(trade: Trade, noticeId: string): string {
    const transaction = {
      appid: this.ids.wechatpayAppId,
      mchid: this.ids.wechatpayMchId,
      out_trade_no: trade.outTradeNo,
      transaction_id: trade.channelTradeNo,
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: beijingRfc3339(trade.paidAt),
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      amount: { total: Number(trade.amountMinor), payer_total: Number(trade.amountMinor), currency: trade.currency, payer_currency: trade.currency },
    };
    const resource = encryptWechatpayResource(JSON.stringify(transaction), this.keys.wechatpay.apiV3Key, 'transaction');
    return JSON.stringify({
      id: noticeId,
      create_time: beijingRfc3339(),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', ...resource },
    });
  }

  private signWechatpay(body: string): Message {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    return {
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-serial': this.keys.wechatpay.platformSerialNo,
        'wechatpay-signature': rsaSha256Sign(wechatpayResponseMessage(timestamp, nonce, body), this.keys.wechatpay.platformPrivateKeyPem),
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      },
      body,
    };
  }

  private unionpayMessage(trade: Trade): Message {
    const params = signUnionpay(
      {
        version: '5.1.0',
        encoding: 'UTF-8',
        txnType: '01',
        txnSubType: '01',
        bizType: '000902',
        accessType: '0',
        merId: this.ids.unionpayMerId,
        orderId: trade.outTradeNo,
        txnTime: beijingCompactTime(trade.createdAt),
        txnAmt: trade.amountMinor.toString(),
        currencyCode: UNIONPAY_CURRENCY_CNY,
        queryId: trade.channelTradeNo,
        respCode: '00',
        respMsg: '成功[0000000]',
        settleAmt: trade.amountMinor.toString(),
        settleCurrencyCode: UNIONPAY_CURRENCY_CNY,
        // the trace time of this delivery: each delivery is its own signed message
        traceTime: beijingCompactTime().slice(4),
        traceNo: String(Date.now() % 1_000_000).padStart(6, '0'),
      },
      this.keys.unionpay.platformPrivateKeyPem,
      this.keys.unionpay.platformCertId,
    );
    return { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: encodeUnionpayForm(params) };
  }
}
