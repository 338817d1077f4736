import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { randomInt } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { decryptUnionpayField, encodeUnionpayForm, luhnValid, signUnionpay, verifyUnionpay, type UnionpayParams } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { formFields } from '@paystream/shared/platform';
import { ChannelSandbox, type Trade } from './channel-sandbox';
import type { EmulatorConfig } from './emulator-config';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';

/** A query's origRespCode for each trade state: 00 paid, 05 in process, 64 insufficient funds, 01 failed (closed). */
const ORIG_RESP_CODE: Record<Trade['state'], string> = { SUCCESS: '00', PROCESSING: '05', DECLINED: '64', CLOSED: '01' };
const RESP_MSG: Readonly<Record<string, string>> = { '00': '成功[0000000]', '01': '交易失败', '05': '交易处理中', '11': '验证签名失败', '13': '报文交易要素缺失', '34': '查无此交易', '35': '原交易不存在或状态不正确', '61': '输入的卡号无效' };

/**
 * UnionPay online payments (ACP 5.1.0) as the channel answers them: form-encoded requests whose
 * signMethod 01 signature is verified first (a bad one answers respCode 11), answers signed with the
 * platform certificate. Consumes are paid by token (bizType 000902); txnType 79 opens a token for
 * a card sent encrypted; 00 queries answer origRespCode; 04 refunds the original by its queryId.
 */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('gateway/api')
export class UnionpayController {
  /** Card tokens the channel issued: the channel (not the merchant) keeps what the token stands for. */
  private readonly tokens = new Map<string, { bin: string; last4: string }>();

  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('backTransReq.do')
  @HttpCode(200)
  backTrans(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const p = formFields(body);
    const refused = this.verify(p);
    if (refused) return this.answer(reply, refused);
    const base = { txnType: p.txnType ?? '', txnSubType: p.txnSubType ?? '', bizType: p.bizType ?? '', merId: p.merId ?? '', orderId: p.orderId ?? '', txnTime: p.txnTime ?? '' };
    if (p.txnType === '79') return this.openToken(reply, p, base);
    if (p.txnType === '04') return this.refund(reply, p, base);
    if (p.txnType !== '01' || !p.orderId || !/^\d{1,12}$/.test(p.txnAmt ?? '')) return this.answer(reply, { ...base, respCode: '13' });
    const token = /token=([^&}]+)/.exec(p.tokenPayData ?? '')?.[1];
    if (!token || !this.tokens.has(token)) return this.answer(reply, { ...base, respCode: '61' });
    const answer = this.sandbox.charge({
      channel: 'unionpay',
      outTradeNo: p.orderId,
      merchantId: p.merId ?? '',
      amountMinor: BigInt(p.txnAmt!),
      currency: 'CNY',
      subject: p.orderDesc ?? 'card payment',
      mode: 'async',
      ...(p.backUrl ? { notifyUrl: p.backUrl } : {}),
    });
    if (answer.kind === 'error') {
      void reply.status(503);
      return 'Service Unavailable';
    }
    const hold = answer.holdMs;
    // 00 here means accepted: the result follows by backUrl notification or query
    const accepted = { ...base, respCode: '00', queryId: answer.trade.channelTradeNo, txnAmt: p.txnAmt! };
    return hold > 0 ? new Promise((r) => setTimeout(() => r(this.answer(reply, accepted)), hold)) : this.answer(reply, accepted);
  }

  @Post('queryTrans.do')
  @HttpCode(200)
  queryTrans(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const p = formFields(body);
    const refused = this.verify(p);
    if (refused) return this.answer(reply, refused);
    const base = { txnType: '00', txnSubType: '00', bizType: '000000', merId: p.merId ?? '', orderId: p.orderId ?? '', txnTime: p.txnTime ?? '' };
    const t = this.sandbox.query(p.orderId ?? '');
    if (!t) return this.refundQuery(reply, p.orderId ?? '', base);
    if (t.channel !== 'unionpay') return this.answer(reply, { ...base, respCode: '34' });
    return this.answer(reply, { ...base, respCode: '00', origRespCode: ORIG_RESP_CODE[t.state], origRespMsg: RESP_MSG[ORIG_RESP_CODE[t.state]!] ?? '', queryId: t.channelTradeNo, txnAmt: t.amountMinor.toString() });
  }

  private openToken(reply: FastifyReply, p: UnionpayParams, base: UnionpayParams) {
    const pan = decryptUnionpayField(p.accNo ?? '', this.config.keys.unionpay.platformPrivateKeyPem);
    if (!pan || !luhnValid(pan) || !pan.startsWith('62')) return this.answer(reply, { ...base, respCode: '61' });
    const token = `62${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e8)).padStart(8, '0')}`;
    this.tokens.set(token, { bin: pan.slice(0, 6), last4: pan.slice(-4) });
    this.logger.info({ bin: pan.slice(0, 6), last4: pan.slice(-4) }, 'card token opened');
    return this.answer(reply, { ...base, respCode: '00', tokenPayData: `{token=${token}&trId=${/trId=([^&}]+)/.exec(p.tokenPayData ?? '')?.[1] ?? ''}&tokenLevel=40}` });
  }

  private async refund(reply: FastifyReply, p: UnionpayParams, base: UnionpayParams) {
    const trade = this.sandbox.billable().trades.find((t) => t.channelTradeNo === p.origQryId && t.channel === 'unionpay');
    if (!trade || !/^\d{1,12}$/.test(p.txnAmt ?? '')) return this.answer(reply, { ...base, respCode: '35' });
    const r = this.sandbox.refund({ outRefundNo: p.orderId ?? '', outTradeNo: trade.outTradeNo, amountMinor: BigInt(p.txnAmt!) });
    const holdMs = this.sandbox.refundHoldMs(BigInt(p.txnAmt!));
    if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
    if (r.status === 'FAILED') return this.answer(reply, { ...base, respCode: r.code === 'REFUND_REJECTED' ? '01' : '35', respMsg: r.message });
    // 05: accepted and in process, the result is for the query to tell
    return this.answer(reply, { ...base, respCode: r.status === 'PROCESSING' ? '05' : '00', queryId: r.refundNo, origQryId: p.origQryId ?? '', txnAmt: p.txnAmt! });
  }

  /**
   * The status query of a refund (txnType 04), by the orderId it was sent with: origRespCode 00
   * refunded, 05 in process, 01 failed; 34 when no refund (nor trade) has that orderId.
   */
  private refundQuery(reply: FastifyReply, orderId: string, base: UnionpayParams) {
    const r = this.sandbox.queryRefund(orderId);
    if (!r || this.sandbox.query(r.outTradeNo)?.channel !== 'unionpay') return this.answer(reply, { ...base, respCode: '34' });
    const orig = r.status === 'SUCCESS' ? '00' : r.status === 'PROCESSING' ? '05' : '01';
    return this.answer(reply, {
      ...base,
      respCode: '00',
      origRespCode: orig,
      origRespMsg: RESP_MSG[orig] ?? '',
      ...(r.status === 'FAILED' ? {} : { queryId: r.refundNo }),
      txnAmt: r.amountMinor,
    });
  }

  /** The request's signature and certificate; a respCode 11 answer when they do not hold. */
  private verify(p: UnionpayParams): UnionpayParams | undefined {
    const keys = this.config.keys.unionpay;
    if (p.certId !== keys.merchantCertId || !verifyUnionpay(p, keys.merchantPublicKeyPem)) {
      this.logger.warn({ txnType: p.txnType, orderId: p.orderId }, 'unionpay request with a bad signature refused');
      return { txnType: p.txnType ?? '', merId: p.merId ?? '', orderId: p.orderId ?? '', respCode: '11' };
    }
    if (p.merId !== this.config.ids.unionpayMerId) return { txnType: p.txnType ?? '', merId: p.merId ?? '', orderId: p.orderId ?? '', respCode: '31' };
    return undefined;
  }

  private answer(reply: FastifyReply, fields: UnionpayParams): string {
    void reply.header('content-type', 'text/plain; charset=UTF-8');
    const keys = this.config.keys.unionpay;
    const withMsg = { version: '5.1.0', encoding: 'UTF-8', accessType: '0', respMsg: RESP_MSG[fields.respCode ?? ''] ?? '', ...fields };
    return encodeUnionpayForm(signUnionpay(withMsg, keys.platformPrivateKeyPem, keys.platformCertId));
  }
}
