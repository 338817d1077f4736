import { Controller, Get, Inject, Param, Post, Query, Req, Res, type RawBodyRequest } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { beijingDateTime, beijingRfc3339, wechatpayBillHash, wechatpayTradeBill, parseWechatpayAuthorization, rsaSha256Sign, rsaSha256Verify, WECHATPAY_TIMESTAMP_SKEW_MAX_S, wechatpayRequestMessage, wechatpayResponseMessage } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { billDateSchema } from './bill-date';
import { ChannelSandbox, type RefundRecord, type Trade } from './channel-sandbox';
import { DailyBills } from './daily-bills';
import type { EmulatorConfig } from './emulator-config';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';

const TRADE_STATE: Record<Trade['state'], string> = { PROCESSING: 'NOTPAY', SUCCESS: 'SUCCESS', DECLINED: 'PAYERROR', CLOSED: 'CLOSED' };

type Answer = { status: number; body?: unknown };
const error = (status: number, code: string, message: string): Answer => ({ status, body: { code, message } });

/**
 * WeChat Pay API v3 as the channel answers it: the merchant's WECHATPAY2-SHA256-RSA2048 authorisation
 * verified (mchid, serial, fresh timestamp, signature over the exact URL and body) before anything
 * happens, JSON errors `{ code, message }`, and every answer signed with the platform key in the
 * Wechatpay-* headers.
 */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('v3')
export class WechatpayController {
  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
    @Inject(DailyBills) private readonly bills: DailyBills,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('pay/transactions/native')
  async native(@Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const b = this.json(req) as { appid?: string; mchid?: string; description?: string; out_trade_no?: string; notify_url?: string; amount?: { total?: number; currency?: string } };
    if (b.mchid !== this.config.ids.wechatpayMchId || b.appid !== this.config.ids.wechatpayAppId) return this.send(reply, error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配'));
    const total = b.amount?.total;
    if (!b.out_trade_no || !/^[0-9A-Za-z_\-|*]{6,32}$/.test(b.out_trade_no) || typeof total !== 'number' || !Number.isSafeInteger(total) || total <= 0 || !b.description) {
      return this.send(reply, error(400, 'PARAM_ERROR', '参数错误: out_trade_no, amount.total or description'));
    }
    const answer = this.sandbox.charge({
      channel: 'wechatpay',
      outTradeNo: b.out_trade_no,
      merchantId: b.mchid,
      amountMinor: BigInt(total),
      currency: b.amount?.currency ?? 'CNY',
      subject: b.description,
      mode: 'async',
      ...(b.notify_url ? { notifyUrl: b.notify_url } : {}),
    });
    if (answer.kind === 'error') return this.send(reply, error(500, 'SYSTEM_ERROR', '系统错误'));
    if (answer.holdMs > 0) await new Promise((r) => setTimeout(r, answer.holdMs));
    if (answer.repeated && answer.trade.state === 'SUCCESS') return this.send(reply, error(400, 'ORDERPAID', '该订单已支付'));
    return this.send(reply, { status: 200, body: { code_url: `weixin://wxpay/bizpayurl?pr=${answer.trade.channelTradeNo.slice(-10)}` } });
  }

  @Get('pay/transactions/out-trade-no/:outTradeNo')
  query(@Param('outTradeNo') outTradeNo: string, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const t = this.sandbox.query(outTradeNo);
    if (!t || t.channel !== 'wechatpay') return this.send(reply, error(404, 'ORDER_NOT_EXIST', '订单不存在'));
    return this.send(reply, {
      status: 200,
      body: {
        appid: this.config.ids.wechatpayAppId,
        mchid: this.config.ids.wechatpayMchId,
        out_trade_no: t.outTradeNo,
        ...(t.state === 'SUCCESS' ? { transaction_id: t.channelTradeNo, success_time: beijingRfc3339(t.paidAt) } : {}),
        trade_type: 'NATIVE',
        trade_state: TRADE_STATE[t.state],
        trade_state_desc: t.state === 'DECLINED' ? '余额不足' : TRADE_STATE[t.state],
        amount: { total: Number(t.amountMinor), currency: t.currency },
      },
    });
  }

  @Post('pay/transactions/out-trade-no/:outTradeNo/close')
  close(@Param('outTradeNo') outTradeNo: string, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const closed = this.sandbox.close(outTradeNo);
    if (closed === 'NOT_FOUND') return this.send(reply, error(404, 'ORDER_NOT_EXIST', '订单不存在'));
    if (closed === 'ALREADY_PAID') return this.send(reply, error(400, 'ORDERPAID', '订单已支付'));
    return this.send(reply, { status: 204 });
  }

  @Post('refund/domestic/refunds')
  async refund(@Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const b = this.json(req) as { out_trade_no?: string; out_refund_no?: string; amount?: { refund?: number; total?: number; currency?: string } };
    const refund = b.amount?.refund;
    if (!b.out_trade_no || !b.out_refund_no || typeof refund !== 'number' || !Number.isSafeInteger(refund) || refund <= 0) return this.send(reply, error(400, 'PARAM_ERROR', '参数错误'));
    const trade = this.sandbox.query(b.out_trade_no);
    if (trade && BigInt(b.amount?.total ?? -1) !== trade.amountMinor) return this.send(reply, error(400, 'INVALID_REQUEST', '订单金额与原订单金额不一致'));
    const r = this.sandbox.refund({ outRefundNo: b.out_refund_no, outTradeNo: b.out_trade_no, amountMinor: BigInt(refund) });
    const holdMs = this.sandbox.refundHoldMs(BigInt(refund));
    if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
    if (r.status === 'FAILED') {
      const [status, code] = r.code === 'TRADE_NOT_EXIST' ? [404, 'RESOURCE_NOT_EXISTS'] : r.code === 'REFUND_AMOUNT_EXCEEDED' ? [400, 'INVALID_REQUEST'] : [403, 'USER_ACCOUNT_ABNORMAL'];
      return this.send(reply, error(status as number, code as string, r.message));
    }
    return this.send(reply, { status: 200, body: this.refundBody(r) });
  }

  /**
   * The refund query by out_refund_no: SUCCESS or PROCESSING as the refund stands. A refund WeChat
   * Pay refused when asked was never created, so it is RESOURCE_NOT_EXISTS, like one never received.
   */
  @Get('refund/domestic/refunds/:outRefundNo')
  refundQuery(@Param('outRefundNo') outRefundNo: string, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const r = this.sandbox.queryRefund(outRefundNo);
    if (!r || r.status === 'FAILED' || this.sandbox.query(r.outTradeNo)?.channel !== 'wechatpay') return this.send(reply, error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在'));
    return this.send(reply, { status: 200, body: this.refundBody(r) });
  }

  private refundBody(r: RefundRecord & { status: 'SUCCESS' | 'PROCESSING' }) {
    const trade = this.sandbox.query(r.outTradeNo);
    return {
      refund_id: r.refundNo,
      out_refund_no: r.outRefundNo,
      ...(trade ? { transaction_id: trade.channelTradeNo } : {}),
      out_trade_no: r.outTradeNo,
      channel: 'ORIGINAL',
      status: r.status,
      ...(r.status === 'SUCCESS' ? { success_time: beijingRfc3339(r.refundedAt) } : {}),
      amount: { refund: Number(r.amountMinor), ...(trade ? { total: Number(trade.amountMinor) } : {}), currency: 'CNY' },
    };
  }

  /**
   * The trade bill of a day (bill_type ALL): where to download it and its SHA1. A day without a successful trade
   * has no bill (NO_STATEMENT_EXIST), as WeChat Pay answers; unlike WeChat Pay, the sandbox also serves today's.
   */
  @Get('bill/tradebill')
  tradeBill(@Query('bill_date') billDate: string | undefined, @Query('bill_type') billType: string | undefined, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const date = billDateSchema.safeParse(billDate);
    if (!date.success || (billType !== undefined && billType !== 'ALL')) return this.send(reply, error(400, 'PARAM_ERROR', '参数错误: bill_date (yyyy-MM-dd) or bill_type (ALL)'));
    const bill = this.bill(date.data);
    if (!bill) return this.send(reply, error(400, 'NO_STATEMENT_EXIST', '账单文件不存在'));
    const token = Buffer.from(`ALL:${date.data}`).toString('base64url');
    const downloadUrl = `${req.protocol}://${req.headers.host ?? '127.0.0.1'}/v3/billdownload/file?token=${token}`;
    return this.send(reply, { status: 200, body: { hash_type: 'SHA1', hash_value: wechatpayBillHash(bill), download_url: downloadUrl } });
  }

  /** The bill file behind a download_url: authorised like any call, answered unsigned (the caller checks the hash). */
  @Get('billdownload/file')
  billDownload(@Query('token') token: string | undefined, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    const checked = this.authorise(req);
    if (checked) return this.send(reply, checked);
    const [type, date] = Buffer.from(token ?? '', 'base64url').toString('utf8').split(':');
    const day = billDateSchema.safeParse(date);
    const bill = type === 'ALL' && day.success ? this.bill(day.data) : undefined;
    if (!bill) return this.send(reply, error(400, 'NO_STATEMENT_EXIST', '账单文件不存在'));
    return reply.status(200).header('content-type', 'text/plain; charset=utf-8').send(bill);
  }

  /** The day's bill text, or undefined when the day is to come or had no successful trade. */
  private bill(date: string): string | undefined {
    if (date > beijingDateTime().slice(0, 10)) return undefined;
    const trades = this.bills.tradesFor('wechatpay', date);
    if (trades.length === 0) return undefined;
    return wechatpayTradeBill(date, this.config.ids.wechatpayAppId, this.config.ids.wechatpayMchId, trades);
  }

  /** The merchant's authorisation, verified; an error answer when it does not hold. */
  private authorise(req: RawBodyRequest<FastifyRequest>): Answer | undefined {
    const keys = this.config.keys.wechatpay;
    const auth = parseWechatpayAuthorization(String(req.headers.authorization ?? ''));
    if (!auth) return error(401, 'SIGN_ERROR', '缺少或无法解析 Authorization');
    if (auth.mchid !== this.config.ids.wechatpayMchId) return error(401, 'SIGN_ERROR', '商户号与签名不匹配');
    if (auth.serialNo !== keys.merchantSerialNo) return error(401, 'SIGN_ERROR', '商户证书序列号错误');
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(auth.timestamp)) > WECHATPAY_TIMESTAMP_SKEW_MAX_S) return error(401, 'SIGN_ERROR', '签名时间戳已过期');
    const body = req.rawBody?.toString('utf8') ?? '';
    if (!rsaSha256Verify(wechatpayRequestMessage(req.method, req.url, auth.timestamp, auth.nonce, body), auth.signature, keys.merchantPublicKeyPem)) {
      this.logger.warn({ url: req.url }, 'wechatpay request with a bad signature refused');
      return error(401, 'SIGN_ERROR', '签名错误');
    }
    return undefined;
  }

  private json(req: RawBodyRequest<FastifyRequest>): unknown {
    try {
      return JSON.parse(req.rawBody?.toString('utf8') ?? '{}');
    } catch {
      return {};
    }
  }

  /** Sends an answer signed as WeChat Pay signs it: over `TIMESTAMP\nNONCE\nBODY\n` with the platform key. */
  private send(reply: FastifyReply, a: Answer) {
    const keys = this.config.keys.wechatpay;
    const text = a.body === undefined ? '' : JSON.stringify(a.body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    void reply
      .status(a.status)
      .header('wechatpay-timestamp', timestamp)
      .header('wechatpay-nonce', nonce)
      .header('wechatpay-serial', keys.platformSerialNo)
      .header('wechatpay-signature', rsaSha256Sign(wechatpayResponseMessage(timestamp, nonce, text), keys.platformPrivateKeyPem));
    if (text) void reply.header('content-type', 'application/json');
    return reply.send(text);
  }
}
