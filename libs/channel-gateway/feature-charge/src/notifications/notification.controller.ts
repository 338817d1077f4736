import { Body, Controller, Headers, HttpCode, Inject, Post, Req, Res, type RawBodyRequest } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureReason, type Channel } from '@paystream/contracts';
import { ChannelNotificationRepository, ChannelTransactionRepository } from '@paystream/channel-gateway/data-access';
import { checkNotice, idOfChannelOrderNo, type ChargeResult, type RaceVerdict } from '@paystream/channel-gateway/domain';
import { inTransaction } from '@paystream/shared/persistence';
import { formFields, Platform } from '@paystream/shared/platform';
import { ChannelMetrics } from '../channel-metrics';
import { CHANNEL_SETTINGS, type ChannelSettings } from '../channel-settings';
import { ChargeOutcomeRecorder } from '../charge-outcome.recorder';
import { readAlipayNotice, readUnionpayNotice, readWechatpayNotice, type NoticeReading } from './notice-readers';

type Handled = { accepted: true; verdict: RaceVerdict['kind'] | 'ignored' } | { accepted: false; reason: string };

/**
 * The channels' asynchronous notifications. Each is verified (signature, freshness, decryption),
 * then checked against our record (account, order number, channel, amount) before anything changes;
 * only then does it count as a report under the race rule. Refusals change nothing and are logged
 * and counted. A duplicate of an accepted notification (the channel retries until acknowledged) is
 * acknowledged again; a byte-identical copy of an accepted message is a replay and refused.
 */
@Controller('notify')
export class NotificationController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelNotificationRepository) private readonly notices: ChannelNotificationRepository,
    @Inject(ChargeOutcomeRecorder) private readonly outcomes: ChargeOutcomeRecorder,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {}

  /** Alipay: answered with the plain text `success`, or Alipay retries (about 8 times over 25 hours). */
  @Post('alipay')
  @Allow('channel')
  @HttpCode(200)
  async alipay(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('content-type', 'text/plain; charset=utf-8');
    const handled = await this.handle('alipay', readAlipayNotice(formFields(body), this.settings.alipay), this.settings.alipay.appId);
    return handled.accepted ? 'success' : 'fail';
  }

  /** WeChat Pay: 204 acknowledges; a 4xx/5xx with `{ code: FAIL }` makes it retry on its schedule. */
  @Post('wechatpay')
  @Allow('channel')
  async wechatpay(@Req() req: RawBodyRequest<FastifyRequest>, @Headers() headers: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply) {
    const raw = req.rawBody?.toString('utf8') ?? '';
    const handled = await this.handle('wechatpay', readWechatpayNotice(headers, raw, this.settings.wechatpay), this.settings.wechatpay.mchId);
    if (handled.accepted) {
      void reply.status(204);
      return undefined;
    }
    void reply.status(400);
    return { code: 'FAIL', message: handled.reason };
  }

  /** UnionPay: HTTP 200 acknowledges the backUrl notification; anything else makes it retry. */
  @Post('unionpay')
  @Allow('channel')
  async unionpay(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('content-type', 'text/plain; charset=utf-8');
    const handled = await this.handle('unionpay', readUnionpayNotice(formFields(body), this.settings.unionpay), this.settings.unionpay.merId);
    void reply.status(handled.accepted ? 200 : 400);
    return handled.accepted ? 'ok' : 'fail';
  }

  private async handle(channel: Channel, reading: NoticeReading, accountId: string): Promise<Handled> {
    const log = this.platform.logger.child({ channel, component: 'notifications' });
    const refuse = (reason: string, detail: string, context: Record<string, unknown> = {}): Handled => {
      this.metrics.notifications.inc({ channel, result: reason });
      log.warn({ reason, detail, ...context }, 'channel notification refused; nothing changed');
      return { accepted: false, reason };
    };
    if (!reading.ok) return refuse(reading.reason, reading.detail);
    const { notice } = reading;
    const paymentId = idOfChannelOrderNo(notice.outTradeNo);
    const context = { paymentId, outTradeNo: notice.outTradeNo, noticeId: notice.noticeId };
    const stored = paymentId ? await this.transactions.find(this.platform.ds.manager, paymentId) : undefined;
    const checked = checkNotice(notice, accountId, stored);
    if (!checked.ok) return refuse(checked.reason, checked.detail, context);
    if (reading.ignore) {
      this.metrics.notifications.inc({ channel, result: 'ignored' });
      return { accepted: true, verdict: 'ignored' };
    }
    const result: ChargeResult =
      notice.outcome === 'succeeded'
        ? { outcome: 'succeeded', ...(notice.channelTradeNo ? { channelTradeNo: notice.channelTradeNo } : {}) }
        : notice.outcome === 'failed'
          ? { outcome: 'failed', failure: failureReason('CHANNEL_DECLINED', notice.code) }
          : { outcome: 'unknown' };
    // the replay check comes first: a replayed copy changes nothing and raises no conflict alert
    const verdict = await inTransaction(this.platform.ds, async (tx) => {
      const fresh = await this.notices.claim(tx, { channel, noticeId: notice.noticeId, paymentId: paymentId!, messageDigest: reading.messageDigest, reported: notice.outcome });
      if (!fresh) return undefined;
      const applied = await this.outcomes.apply(tx, paymentId!, result, 'notification');
      await this.notices.settle(tx, reading.messageDigest, applied.verdict.kind);
      return applied.verdict.kind;
    });
    if (verdict === undefined) return refuse('replayed', 'this exact signed message was accepted before', context);
    this.metrics.notifications.inc({ channel, result: verdict });
    log.info({ ...context, reported: notice.outcome, verdict }, 'channel notification accepted');
    return { accepted: true, verdict };
  }
}
