import { Controller, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { alipayAmount, beijingDateTime, fenFromAlipayAmount, signAlipayResponse, verifyAlipayParams } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { ChannelSandbox, type Trade } from './channel-sandbox';
import { billDateSchema } from './bill-date';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';
import type { EmulatorConfig } from './emulator-config';

type Answer = Record<string, unknown>;
const SUCCESS = { code: '10000', msg: 'Success' };
/** 10003: the order was created and waits for the buyer (e.g. entering a password): query or await the notification. */
const WAITING_FOR_BUYER = { code: '10003', msg: ' order success pay inprocess' };
const businessFailed = (sub_code: string, sub_msg: string) => ({ code: '40004', msg: 'Business Failed', sub_code, sub_msg });
const invalidArguments = (sub_code: string, sub_msg: string) => ({ code: '40002', msg: 'Invalid Arguments', sub_code, sub_msg });
const BILL_DOWNLOAD_METHOD = 'alipay.data.dataservice.bill.downloadurl.query';
const REFUND_QUERY_METHOD = 'alipay.trade.fastpay.refund.query';
const SUPPORTED_METHODS = ['alipay.trade.pay', 'alipay.trade.precreate', 'alipay.trade.query', 'alipay.trade.refund', 'alipay.trade.close', REFUND_QUERY_METHOD, BILL_DOWNLOAD_METHOD] as const;
type Method = (typeof SUPPORTED_METHODS)[number];

const TRADE_STATUS: Record<Trade['state'], string> = { PROCESSING: 'WAIT_BUYER_PAY', SUCCESS: 'TRADE_SUCCESS', DECLINED: 'TRADE_CLOSED', CLOSED: 'TRADE_CLOSED' };

/**
 * Alipay Open API v2 as the channel answers it: `gateway.do` with the common parameters and
 * biz_content (here taken from the query string), the merchant's RSA2 signature verified before
 * anything happens, and every answer signed with the platform key over its exact JSON text.
 */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('alipay')
export class AlipayGatewayController {
  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('gateway.do')
  @HttpCode(200)
  async gateway(@Query() params: Record<string, string>, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('content-type', 'application/json;charset=utf-8');
    const keys = this.config.keys.alipay;
    const method = params.method ?? '';
    const known = SUPPORTED_METHODS.includes(method as Method);
    const respond = (answer: Answer) => signAlipayResponse(known ? method : 'alipay.error', answer, keys.platformPrivateKeyPem);
    if (!known) return respond(invalidArguments('isv.invalid-method', `unsupported method ${method}`));
    if (params.app_id !== this.config.ids.alipayAppId) return respond(invalidArguments('isv.invalid-app-id', 'unknown app_id'));
    if (params.sign_type !== 'RSA2' || !verifyAlipayParams(params, keys.merchantPublicKeyPem)) {
      this.logger.warn({ method }, 'alipay request with a bad signature refused');
      return respond(invalidArguments('isv.invalid-signature', 'the request signature does not verify'));
    }
    let biz: Record<string, string>;
    try {
      biz = JSON.parse(params.biz_content ?? '') as Record<string, string>;
    } catch {
      return respond(invalidArguments('isv.invalid-biz-content', 'biz_content is not JSON'));
    }
    if (method === BILL_DOWNLOAD_METHOD) return this.billDownloadUrl(biz, req, respond);
    if (!biz.out_trade_no) return respond(invalidArguments('isv.missing-out-trade-no', 'out_trade_no is required'));
    try {
      switch (method as Method) {
        case 'alipay.trade.pay':
          return await this.pay(biz, params.notify_url, respond, reply);
        case 'alipay.trade.precreate':
          return await this.precreate(biz, params.notify_url, respond, reply);
        case 'alipay.trade.query':
          return this.query(biz, respond);
        case 'alipay.trade.close':
          return this.close(biz, respond);
        case REFUND_QUERY_METHOD:
          return this.refundQuery(biz, respond);
        default:
          return await this.refund(biz, respond);
      }
    } catch (error) {
      return respond(invalidArguments('isv.invalid-parameter', (error as Error).message));
    }
  }

  private async pay(biz: Record<string, string>, notifyUrl: string | undefined, respond: (a: Answer) => string, reply: FastifyReply) {
    const amountMinor = fenFromAlipayAmount(biz.total_amount ?? '');
    const answer = this.sandbox.charge({
      channel: 'alipay',
      outTradeNo: biz.out_trade_no!,
      merchantId: biz.seller_id ?? 'unknown',
      amountMinor,
      currency: 'CNY',
      subject: biz.subject ?? '',
      mode: 'sync',
      ...(notifyUrl ? { notifyUrl } : {}),
    });
    if (answer.kind === 'error') {
      void reply.status(503);
      return 'Service Unavailable';
    }
    if (answer.holdMs > 0) await new Promise((r) => setTimeout(r, answer.holdMs));
    const t = answer.trade;
    const ids = { trade_no: t.channelTradeNo, out_trade_no: t.outTradeNo, total_amount: alipayAmount(t.amountMinor) };
    if (t.state === 'DECLINED') return respond({ ...businessFailed('ACQ.BUYER_BALANCE_NOT_ENOUGH', 'insufficient balance'), out_trade_no: t.outTradeNo });
    if (t.state === 'CLOSED') return respond({ ...businessFailed('ACQ.TRADE_HAS_CLOSE', 'trade closed'), out_trade_no: t.outTradeNo });
    if (t.state === 'PROCESSING') return respond({ ...WAITING_FOR_BUYER, ...ids });
    return respond({ ...SUCCESS, ...ids, gmt_payment: beijingDateTime(t.paidAt) });
  }

  /** A QR order: created now, paid when the buyer scans (after the pay delay), then notified. */
  private async precreate(biz: Record<string, string>, notifyUrl: string | undefined, respond: (a: Answer) => string, reply: FastifyReply) {
    const answer = this.sandbox.charge({
      channel: 'alipay',
      outTradeNo: biz.out_trade_no!,
      merchantId: biz.seller_id ?? 'unknown',
      amountMinor: fenFromAlipayAmount(biz.total_amount ?? ''),
      currency: 'CNY',
      subject: biz.subject ?? '',
      mode: 'async',
      ...(notifyUrl ? { notifyUrl } : {}),
    });
    if (answer.kind === 'error') {
      void reply.status(503);
      return 'Service Unavailable';
    }
    if (answer.holdMs > 0) await new Promise((r) => setTimeout(r, answer.holdMs));
    if (answer.repeated && answer.trade.state === 'SUCCESS') return respond({ ...businessFailed('ACQ.TRADE_HAS_SUCCESS', 'trade already paid'), out_trade_no: answer.trade.outTradeNo });
    return respond({ ...SUCCESS, out_trade_no: answer.trade.outTradeNo, qr_code: `https://qr.alipay.com/${answer.trade.channelTradeNo.slice(-12)}` });
  }

  /**
   * Where the day's statement can be downloaded (bill_type trade). Unlike Alipay, which offers a day's statement
   * from the next morning, the sandbox also serves today's, so far.
   */
  private billDownloadUrl(biz: Record<string, string>, req: FastifyRequest, respond: (a: Answer) => string) {
    if (biz.bill_type !== 'trade') return respond(invalidArguments('isv.invalid-bill-type', 'only bill_type trade is offered'));
    const date = billDateSchema.safeParse(biz.bill_date);
    if (!date.success) return respond(invalidArguments('isv.invalid-bill-date', 'bill_date is yyyy-MM-dd'));
    if (date.data > beijingDateTime().slice(0, 10)) return respond(businessFailed('isp.bill_not_exist', 'the statement does not exist yet'));
    return respond({ ...SUCCESS, bill_download_url: `${req.protocol}://${req.headers.host ?? '127.0.0.1'}/alipay/bills/${date.data}` });
  }

  private query(biz: Record<string, string>, respond: (a: Answer) => string) {
    const t = this.sandbox.query(biz.out_trade_no!);
    if (!t) return respond({ ...businessFailed('ACQ.TRADE_NOT_EXIST', 'trade does not exist'), out_trade_no: biz.out_trade_no });
    return respond({ ...SUCCESS, trade_no: t.channelTradeNo, out_trade_no: t.outTradeNo, trade_status: TRADE_STATUS[t.state], total_amount: alipayAmount(t.amountMinor) });
  }

  private close(biz: Record<string, string>, respond: (a: Answer) => string) {
    const closed = this.sandbox.close(biz.out_trade_no!);
    if (closed === 'NOT_FOUND') return respond({ ...businessFailed('ACQ.TRADE_NOT_EXIST', 'trade does not exist'), out_trade_no: biz.out_trade_no });
    if (closed === 'ALREADY_PAID') return respond({ ...businessFailed('ACQ.TRADE_STATUS_ERROR', 'trade status error: already paid'), out_trade_no: biz.out_trade_no });
    return respond({ ...SUCCESS, out_trade_no: biz.out_trade_no });
  }

  /**
   * alipay.trade.fastpay.refund.query: the refund's data with refund_status REFUND_SUCCESS once it
   * is paid out; as Alipay does, nothing about the refund while it is not (never received,
   * processing, or failed), and ACQ.TRADE_NOT_EXIST for a trade it does not know.
   */
  private refundQuery(biz: Record<string, string>, respond: (a: Answer) => string) {
    const t = this.sandbox.query(biz.out_trade_no!);
    if (!t || t.channel !== 'alipay') return respond({ ...businessFailed('ACQ.TRADE_NOT_EXIST', 'trade does not exist'), out_trade_no: biz.out_trade_no });
    const ids = { trade_no: t.channelTradeNo, out_trade_no: t.outTradeNo, out_request_no: biz.out_request_no ?? '' };
    const r = this.sandbox.queryRefund(biz.out_request_no ?? '');
    if (r?.status !== 'SUCCESS' || r.outTradeNo !== t.outTradeNo) return respond({ ...SUCCESS, ...ids });
    return respond({ ...SUCCESS, ...ids, total_amount: alipayAmount(t.amountMinor), refund_amount: alipayAmount(BigInt(r.amountMinor)), refund_status: 'REFUND_SUCCESS', gmt_refund_pay: beijingDateTime(r.refundedAt) });
  }

  private async refund(biz: Record<string, string>, respond: (a: Answer) => string) {
    const amountMinor = fenFromAlipayAmount(biz.refund_amount ?? '');
    const record = this.sandbox.refund({ outRefundNo: biz.out_request_no ?? '', outTradeNo: biz.out_trade_no!, amountMinor });
    const holdMs = this.sandbox.refundHoldMs(amountMinor);
    if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
    // accepted, the money not moved yet: fund_change N, for the refund query to confirm
    if (record.status === 'PROCESSING') return respond({ ...SUCCESS, out_trade_no: record.outTradeNo, fund_change: 'N', refund_fee: '0.00', out_request_no: record.outRefundNo });
    if (record.status === 'FAILED') {
      const sub = record.code === 'TRADE_NOT_EXIST' ? 'ACQ.TRADE_NOT_EXIST' : record.code === 'REFUND_AMOUNT_EXCEEDED' ? 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' : 'ACQ.TRADE_NOT_ALLOW_REFUND';
      return respond({ ...businessFailed(sub, record.message), out_trade_no: record.outTradeNo });
    }
    return respond({ ...SUCCESS, out_trade_no: record.outTradeNo, fund_change: 'Y', refund_fee: alipayAmount(BigInt(record.amountMinor)), out_request_no: record.outRefundNo, refund_no: record.refundNo });
  }
}
