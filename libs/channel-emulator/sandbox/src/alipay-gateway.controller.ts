import { Controller, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { alipayAmount, fenFromAlipayAmount, signAlipayResponse, verifyAlipayParams } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { ChannelSandbox } from './channel-sandbox';
import type { AlipayEmulatorKeys } from './emulator-config';
import { EMULATOR_LOGGER } from './emulator.controller';

export const ALIPAY_EMULATOR_KEYS = Symbol('ALIPAY_EMULATOR_KEYS');

type Answer = Record<string, unknown>;
const SUCCESS = { code: '10000', msg: 'Success' };
const businessFailed = (sub_code: string, sub_msg: string) => ({ code: '40004', msg: 'Business Failed', sub_code, sub_msg });
const invalidArguments = (sub_code: string, sub_msg: string) => ({ code: '40002', msg: 'Invalid Arguments', sub_code, sub_msg });
const SUPPORTED_METHODS = ['alipay.trade.pay', 'alipay.trade.query', 'alipay.trade.refund'] as const;

/**
 * Alipay Open API v2 as the channel answers it: `gateway.do` with the common parameters and
 * biz_content (here taken from the query string), the merchant's RSA2 signature verified before
 * anything happens, and every answer signed with the platform key over its exact JSON text.
 */
@Controller('alipay')
export class AlipayGatewayController {
  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
    @Inject(ALIPAY_EMULATOR_KEYS) private readonly keys: AlipayEmulatorKeys | undefined,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('gateway.do')
  @HttpCode(200)
  async gateway(@Query() params: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('content-type', 'application/json;charset=utf-8');
    if (!this.keys) {
      void reply.status(503);
      return '{"error":"alipay is not configured in this emulator (no keys)"}';
    }
    const method = params.method ?? '';
    const respond = (answer: Answer) => signAlipayResponse(SUPPORTED_METHODS.includes(method as never) ? method : 'alipay.error', answer, this.keys!.platformPrivateKeyPem);
    if (!SUPPORTED_METHODS.includes(method as (typeof SUPPORTED_METHODS)[number])) return respond(invalidArguments('isv.invalid-method', `unsupported method ${method}`));
    if (params.app_id !== this.keys.appId) return respond(invalidArguments('isv.invalid-app-id', 'unknown app_id'));
    if (params.sign_type !== 'RSA2' || !verifyAlipayParams(params, this.keys.merchantPublicKeyPem)) {
      this.logger.warn({ method }, 'alipay request with a bad signature refused');
      return respond(invalidArguments('isv.invalid-signature', 'the request signature does not verify'));
    }
    let biz: Record<string, string>;
    try {
      biz = JSON.parse(params.biz_content ?? '') as Record<string, string>;
    } catch {
      return respond(invalidArguments('isv.invalid-biz-content', 'biz_content is not JSON'));
    }
    if (!biz.out_trade_no) return respond(invalidArguments('isv.missing-out-trade-no', 'out_trade_no is required'));
    try {
      if (method === 'alipay.trade.pay') return await this.pay(biz, respond, reply);
      if (method === 'alipay.trade.query') return this.query(biz, respond);
      return this.refund(biz, respond);
    } catch (error) {
      return respond(invalidArguments('isv.invalid-parameter', (error as Error).message));
    }
  }

  private async pay(biz: Record<string, string>, respond: (a: Answer) => string, reply: FastifyReply) {
    const amountMinor = fenFromAlipayAmount(biz.total_amount ?? '');
    const answer = this.sandbox.charge({ outTradeNo: biz.out_trade_no!, channel: 'alipay', merchantId: biz.seller_id ?? 'unknown', amountMinor, currency: 'CNY', subject: biz.subject ?? '' });
    if (answer.kind === 'error') {
      void reply.status(503);
      return 'Service Unavailable';
    }
    if (answer.holdMs > 0) await new Promise((r) => setTimeout(r, answer.holdMs));
    const record = answer.record;
    if (record.status === 'DECLINED') return respond({ ...businessFailed('ACQ.BUYER_BALANCE_NOT_ENOUGH', 'insufficient balance'), out_trade_no: record.outTradeNo });
    return respond({ ...SUCCESS, trade_no: record.channelTradeNo, out_trade_no: record.outTradeNo, total_amount: alipayAmount(BigInt(record.amountMinor)), gmt_payment: new Date().toISOString() });
  }

  private query(biz: Record<string, string>, respond: (a: Answer) => string) {
    const record = this.sandbox.query(biz.out_trade_no!);
    if (!record) return respond({ ...businessFailed('ACQ.TRADE_NOT_EXIST', 'trade does not exist'), out_trade_no: biz.out_trade_no });
    if (record.status === 'DECLINED') return respond({ ...SUCCESS, out_trade_no: record.outTradeNo, trade_status: 'TRADE_CLOSED', total_amount: alipayAmount(BigInt(record.amountMinor)) });
    return respond({ ...SUCCESS, trade_no: record.channelTradeNo, out_trade_no: record.outTradeNo, trade_status: 'TRADE_SUCCESS', total_amount: alipayAmount(BigInt(record.amountMinor)) });
  }

  private refund(biz: Record<string, string>, respond: (a: Answer) => string) {
    const record = this.sandbox.refund({ outRefundNo: biz.out_request_no ?? '', outTradeNo: biz.out_trade_no!, amountMinor: fenFromAlipayAmount(biz.refund_amount ?? '') });
    if (record.status === 'FAILED') {
      const sub = record.code === 'TRADE_NOT_EXIST' ? 'ACQ.TRADE_NOT_EXIST' : record.code === 'REFUND_AMOUNT_EXCEEDED' ? 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' : 'ACQ.TRADE_NOT_ALLOW_REFUND';
      return respond({ ...businessFailed(sub, record.message), out_trade_no: record.outTradeNo });
    }
    return respond({ ...SUCCESS, out_trade_no: record.outTradeNo, fund_change: 'Y', refund_fee: alipayAmount(BigInt(record.amountMinor)), out_request_no: record.outRefundNo, refund_no: record.refundNo });
  }
}
