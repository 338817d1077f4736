import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { CHANNELS, currencySchema, describeIssues, positiveAmountMinorSchema } from '@paystream/contracts';
import { alipayBillZip, wechatpayBillHash, wechatpayTradeBill, type BillTrade } from '@paystream/shared/channel-protocols';
import type { Logger } from '@paystream/shared/observability';
import { ChannelSandbox, type SandboxChannel } from './channel-sandbox';
import type { EmulatorConfig } from './emulator-config';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';
import { NotificationSender } from './notification-sender';

const idSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);
const outageSchema = z.object({ channel: z.enum(CHANNELS), down: z.boolean() });
const payoutSchema = z.object({ payoutId: idSchema, merchantId: idSchema, accountNo: z.string().regex(/^\d{8,32}$/).optional(), amountMinor: positiveAmountMinorSchema, currency: currencySchema });
const billDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'bill_date is yyyy-MM-dd');
/** The channel fee the sandbox bills: 0.6 %, half up to the fen (settlement books the same rate). */
const SANDBOX_FEE_BPS = 60n;

function invalid(reply: FastifyReply, error: z.ZodError) {
  void reply.status(400);
  return { status: 'ERROR', code: 'INVALID_REQUEST', message: describeIssues(error.issues) };
}

/** The bank, the sandbox's controls (outages, stats, reset), the notification log and the daily bills. */
@Controller()
export class EmulatorController {
  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
    @Inject(NotificationSender) private readonly sender: NotificationSender,
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
    this.logger.info({ payoutId: req.data.payoutId, accountNo: req.data.accountNo, amountMinor: req.data.amountMinor, answer: answer.status }, 'payout');
    if (answer.status === 'ERROR') void reply.status(503);
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
    return alipayBillZip(d.data, this.config.ids.alipayAppId, this.billTrades('alipay'));
  }

  /** WeChat Pay's trade bill for a day (text), with the SHA1 the v3 download API states for it. */
  @Get('wechatpay/bills/:date')
  wechatpayBill(@Param('date') date: string, @Query('hash') hash: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const d = billDateSchema.safeParse(date);
    if (!d.success) return invalid(reply, d.error);
    const text = wechatpayTradeBill(d.data, this.config.ids.wechatpayAppId, this.config.ids.wechatpayMchId, this.billTrades('wechatpay'));
    if (hash !== undefined) return { hash_type: 'SHA1', hash_value: wechatpayBillHash(text), download_url: `/wechatpay/bills/${d.data}` };
    void reply.header('content-type', 'text/plain; charset=utf-8');
    return text;
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
    return { status: 'ok' };
  }

  private billTrades(channel: SandboxChannel): BillTrade[] {
    const { trades, refunds } = this.sandbox.billable();
    const fee = (amount: bigint) => (amount * SANDBOX_FEE_BPS + 5_000n) / 10_000n;
    const byNo = new Map(trades.map((t) => [t.outTradeNo, t]));
    const payments: BillTrade[] = trades
      .filter((t) => t.channel === channel)
      .map((t) => ({ channel, outTradeNo: t.outTradeNo, channelTradeNo: t.channelTradeNo, merchantId: t.merchantId, amountMinor: t.amountMinor, currency: t.currency, subject: t.subject, paidAt: t.paidAt ?? t.createdAt, kind: 'payment', feeMinor: fee(t.amountMinor) }));
    const refunded: BillTrade[] = refunds.flatMap((r) => {
      const t = byNo.get(r.outTradeNo);
      if (!t || t.channel !== channel) return [];
      const amountMinor = BigInt(r.amountMinor);
      return [{ channel, outTradeNo: t.outTradeNo, channelTradeNo: t.channelTradeNo, merchantId: t.merchantId, amountMinor, currency: t.currency, subject: t.subject, paidAt: new Date(), kind: 'refund' as const, outRefundNo: r.outRefundNo, channelRefundNo: r.refundNo, feeMinor: fee(amountMinor) }];
    });
    return [...payments, ...refunded];
  }
}
