import type { Channel } from '@paystream/contracts';
import type { ChannelBody } from './charge-outcome';
import type { ReportedOutcome } from './channel-transaction-status';

/** A channel's asynchronous notification, verified and decrypted, in channel-neutral terms. */
export interface ChannelNotice {
  channel: Channel;
  /** The channel's id of the notification (Alipay notify_id, WeChat Pay id, UnionPay queryId). */
  noticeId: string;
  /** Whose account it is about: Alipay app_id, WeChat Pay mchid, UnionPay merId. */
  accountId: string;
  outTradeNo: string;
  channelTradeNo?: string;
  amountMinor: bigint;
  outcome: ReportedOutcome;
  /** The channel's reason when it reports a failure. */
  code?: string;
}

/** Why a notification was refused. Each is logged and counted; none changes anything. */
export const NOTICE_REJECTIONS = ['malformed', 'bad-signature', 'stale', 'replayed', 'mismatched-account', 'unknown-trade', 'mismatched-channel', 'mismatched-amount'] as const;
export type NoticeRejection = (typeof NOTICE_REJECTIONS)[number];

/** Reads a neutral answer body (see ChannelBody) as a reported outcome. */
export function reportedOutcomeOf(body: Record<string, unknown>): ReportedOutcome {
  const status = (body as ChannelBody).status;
  if (status === 'SUCCESS') return 'succeeded';
  if (status === 'DECLINED') return 'failed';
  return 'pending';
}

/**
 * Checks a verified notification against our own record before anything changes: our account, a
 * trade we sent to this channel, the amount we asked for (to the fen).
 */
export function checkNotice(
  notice: ChannelNotice,
  expectedAccountId: string,
  stored: { channel: Channel; amountMinor: bigint } | undefined,
): { ok: true } | { ok: false; reason: NoticeRejection; detail: string } {
  if (notice.accountId !== expectedAccountId) return { ok: false, reason: 'mismatched-account', detail: `account ${notice.accountId} is not ours` };
  if (!stored) return { ok: false, reason: 'unknown-trade', detail: `no charge ${notice.outTradeNo}` };
  if (stored.channel !== notice.channel) return { ok: false, reason: 'mismatched-channel', detail: `charge ${notice.outTradeNo} went over ${stored.channel}, not ${notice.channel}` };
  if (stored.amountMinor !== notice.amountMinor) {
    return { ok: false, reason: 'mismatched-amount', detail: `notified ${notice.amountMinor}, charged ${stored.amountMinor}` };
  }
  return { ok: true };
}
