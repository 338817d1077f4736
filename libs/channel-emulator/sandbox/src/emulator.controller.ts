import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { CHANNELS, currencySchema, describeIssues, positiveAmountMinorSchema } from '@paystream/contracts';
import type { Logger } from '@paystream/shared/observability';
import { ChannelSandbox } from './channel-sandbox';

export const EMULATOR_LOGGER = Symbol('EMULATOR_LOGGER');

const idSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);
const chargeSchema = z.object({
  outTradeNo: idSchema,
  channel: z.enum(CHANNELS),
  merchantId: idSchema,
  amountMinor: positiveAmountMinorSchema,
  currency: currencySchema,
  subject: z.string().min(1).max(256),
});
const refundSchema = z.object({ outRefundNo: idSchema, outTradeNo: idSchema, amountMinor: positiveAmountMinorSchema });
const outageSchema = z.object({ channel: z.enum(CHANNELS), down: z.boolean() });
const payoutSchema = z.object({ payoutId: idSchema, merchantId: idSchema, amountMinor: positiveAmountMinorSchema, currency: currencySchema });

function invalid(reply: FastifyReply, error: z.ZodError) {
  void reply.status(400);
  return { status: 'ERROR', code: 'INVALID_REQUEST', message: describeIssues(error.issues) };
}

/** The plain-HTTP face of the channels and the bank (signed protocols come with the channel issue). */
@Controller()
export class EmulatorController {
  constructor(
    @Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox,
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

  @Post('sandbox/charges')
  @HttpCode(200)
  async charge(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = chargeSchema.safeParse(body);
    if (!req.success) return invalid(reply, req.error);
    const answer = this.sandbox.charge({ ...req.data, amountMinor: BigInt(req.data.amountMinor) });
    this.logger.info({ outTradeNo: req.data.outTradeNo, amountMinor: req.data.amountMinor, answer: answer.kind === 'answer' ? answer.record.status : 'ERROR' }, 'charge');
    if (answer.kind === 'error') {
      void reply.status(503);
      return { status: 'ERROR', code: 'SYSTEM_ERROR', message: 'channel system busy' };
    }
    if (answer.holdMs > 0) await new Promise((r) => setTimeout(r, answer.holdMs));
    return answer.record;
  }

  @Get('sandbox/charges/:outTradeNo')
  query(@Param('outTradeNo') outTradeNo: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const record = this.sandbox.query(outTradeNo);
    if (!record) {
      void reply.status(404);
      return { status: 'NOT_FOUND', outTradeNo };
    }
    return record;
  }

  @Post('bank/payouts')
  @HttpCode(200)
  payout(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = payoutSchema.safeParse(body);
    if (!req.success) return invalid(reply, req.error);
    const paid = this.sandbox.payout({ ...req.data, amountMinor: BigInt(req.data.amountMinor) });
    this.logger.info({ payoutId: req.data.payoutId, amountMinor: req.data.amountMinor, payoutRef: paid.payoutRef }, 'payout');
    return { status: 'PAID', ...paid };
  }

  @Post('sandbox/refunds')
  @HttpCode(200)
  refund(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = refundSchema.safeParse(body);
    if (!req.success) return invalid(reply, req.error);
    const record = this.sandbox.refund({ ...req.data, amountMinor: BigInt(req.data.amountMinor) });
    this.logger.info({ outRefundNo: req.data.outRefundNo, outTradeNo: req.data.outTradeNo, amountMinor: req.data.amountMinor, status: record.status }, 'refund');
    return record;
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

  @Get('sandbox/stats')
  stats() {
    return this.sandbox.stats();
  }

  @Post('sandbox/reset')
  @HttpCode(200)
  reset() {
    this.sandbox.reset();
    return { status: 'ok' };
  }
}
