import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { CHANNELS, currencySchema, describeIssues, positiveAmountMinorSchema } from '@paystream/contracts';
import { alipayBillZip, wechatpayBillHash, wechatpayTradeBill } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { billDateSchema } from './bill-date';
import { ChannelSandbox } from './channel-sandbox';
import { BREAK_KINDS, DailyBills, plantedBreakJson } from './daily-bills';
import type { EmulatorConfig } from './emulator-config';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';
import { NotificationSender } from './notification-sender';

const idSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);
const outageSchema = z.object({ channel: z.enum(CHANNELS), down: z.boolean() });
const payoutSchema = z.object({ payoutId: idSchema, merchantId: idSchema, accountNo: z.string().regex(/^\d{8,32}$/).optional(), amountMinor: positiveAmountMinorSchema, currency: currencySchema });
const plantSchema = z.object({
  channel: z.enum(CHANNELS),
  date: billDateSchema,
  kind: z.enum(BREAK_KINDS),
  outTradeNo: z.string().regex(/^[0-9A-Za-z_-]{6,32}$/).optional(),
  amountMinor: positiveAmountMinorSchema.optional(),
});

function invalid(reply: FastifyReply, error: z.ZodError) {
  void reply.status(400);
  return { status: 'ERROR', code: 'INVALID_REQUEST', message: describeIssues(error.issues) };
}

/** The bank, the sandbox's controls (outages, stats, reset), the notification log and the daily bills. */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller()
export class EmulatorController {
  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
    @Inject(NotificationSender) private readonly sender: NotificationSender,
    @Inject(DailyBills) private readonly bills: DailyBills,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('health')
  health() {
    return { status: 'ok', service: 'channel-emulator' };
  }

  @Get('health/live')
  live() {
    return { status: 'ok', service: 'channel-emulator' };
  }

  @Post('bank/payouts')
  @HttpCode(200)
  payout(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = payoutSchema.safeParse(body);
    if (!req.success) return invalid(reply, req.error);
    const answer = this.sandbox.payoutByAccount({ ...req.data, amountMinor: BigInt(req.data.amountMinor) });
    this.logger.info({ payoutId: req.data.payoutId, accountLast4: req.data.accountNo?.slice(-4), amountMinor: req.data.amountMinor, answer: answer.status }, 'payout');
    if (answer.status === 'ERROR') void reply.status(answer.code === 'PAYOUT_ID_REUSED' ? 409 : 503);
    return answer;
  }

  /** What became of a payout: PAID, PROCESSING, FAILED, or 404 when the bank never got it. */
  @Get('bank/payouts/:payoutId')
  payoutQuery(@Param('payoutId') payoutId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const known = this.sandbox.queryPayout(payoutId);
    if (!known) {
      void reply.status(404);
      return { status: 'NOT_FOUND', payoutId };
    }
    return known;
  }

  /** Takes a channel down or brings it back: `{ "down": true }`. */
  @Post('sandbox/channels/:channel/outage')
  @HttpCode(200)
  outage(@Param('channel') channel: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = outageSchema.safeParse({ channel, ...(typeof body === 'object' && body !== null ? body : {}) });
    if (!req.success) return invalid(reply, req.error);
    this.sandbox.setOutage(req.data.channel, req.data.down);
    this.logger.warn({ channel: req.data.channel, down: req.data.down }, 'channel outage switched');
    return { status: 'ok', channelsDown: this.sandbox.channelsDown() };
  }

  /** A trade as the channel sees it (state, amount), for drills and tests. */
  @Get('sandbox/trades/:outTradeNo')
  trade(@Param('outTradeNo') outTradeNo: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const t = this.sandbox.query(outTradeNo);
    if (!t) {
      void reply.status(404);
      return { status: 'NOT_FOUND', outTradeNo };
    }
    return { ...t, amountMinor: t.amountMinor.toString() };
  }

  /** Every notification delivery attempt for a trade (status, acknowledged), oldest first. */
  @Get('sandbox/notifications/:outTradeNo')
  notifications(@Param('outTradeNo') outTradeNo: string) {
    return this.sender.log(outTradeNo);
  }

  /** Alipay's daily statement: a zip of GBK CSV files (the file bill_download_url points to). */
  @Get('alipay/bills/:date')
  alipayBill(@Param('date') date: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const d = billDateSchema.safeParse(date);
    if (!d.success) return invalid(reply, d.error);
    void reply.header('content-type', 'application/zip').header('content-disposition', `attachment; filename="${this.config.ids.alipayAppId}_${d.data.replace(/-/g, '')}.csv.zip"`);
    return alipayBillZip(d.data, this.config.ids.alipayAppId, this.bills.tradesFor('alipay', d.data));
  }

  /** WeChat Pay's trade bill for a day (text), with the SHA1 the v3 download API states for it. */
  @Get('wechatpay/bills/:date')
  wechatpayBill(@Param('date') date: string, @Query('hash') hash: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const d = billDateSchema.safeParse(date);
    if (!d.success) return invalid(reply, d.error);
    const text = wechatpayTradeBill(d.data, this.config.ids.wechatpayAppId, this.config.ids.wechatpayMchId, this.bills.tradesFor('wechatpay', d.data));
    if (hash !== undefined) return { hash_type: 'SHA1', hash_value: wechatpayBillHash(text), download_url: `/wechatpay/bills/${d.data}` };
    void reply.header('content-type', 'text/plain; charset=utf-8');
    return text;
  }

  /**
   * Plants a break in a channel's bill for a day: a fake row (missing_ours), a real row dropped (missing_channel),
   * an amount changed (amount_mismatch) or an unpaid trade billed as paid (status_mismatch). Every later download
   * of that bill carries it.
   */
  @Post('sandbox/bills/breaks')
  @HttpCode(201)
  plantBreak(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = plantSchema.safeParse(body);
    if (!req.success) return invalid(reply, req.error);
    const { amountMinor, outTradeNo, ...rest } = req.data;
    const planted = this.bills.plant({ ...rest, ...(outTradeNo ? { outTradeNo } : {}), ...(amountMinor ? { amountMinor: BigInt(amountMinor) } : {}) });
    if ('code' in planted) {
      void reply.status(409);
      return { status: 'ERROR', ...planted };
    }
    this.logger.warn({ channel: planted.channel, date: planted.date, kind: planted.kind, outTradeNo: planted.outTradeNo }, 'bill break planted');
    return plantedBreakJson(planted);
  }

  /** The breaks planted so far (`?channel=&date=` to narrow). */
  @Get('sandbox/bills/breaks')
  plantedBreaks(@Query('channel') channel: string | undefined, @Query('date') date: string | undefined) {
    return this.bills.planted({ ...(channel ? { channel } : {}), ...(date ? { date } : {}) }).map(plantedBreakJson);
  }

  @Get('sandbox/stats')
  stats() {
    return this.sandbox.stats();
  }

  @Post('sandbox/reset')
  @HttpCode(200)
  reset() {
    this.sandbox.reset();
    this.sender.reset();
    this.bills.reset();
    return { status: 'ok' };
  }
}
