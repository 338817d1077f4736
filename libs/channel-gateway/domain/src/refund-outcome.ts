import { failureReason, type FailureReason } from '@paystream/contracts';
import type { ChannelAnswer } from './charge-outcome';

export interface RefundResult {
  outcome: 'succeeded' | 'failed';
  channelRefundNo?: string;
  failure?: FailureReason;
}

/**
 * Maps a refund call to its outcome. The channel refunds an outRefundNo once and never beyond the
 * charge, so a refund that failed for want of an answer can safely be asked for again.
 */
export function refundResultOf(answer: ChannelAnswer): RefundResult {
  if (answer.kind !== 'http') {
    const detail = answer.kind === 'timeout' ? 'the channel did not answer in time' : answer.detail;
    return { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', detail) };
  }
  const body = (answer.body ?? {}) as { status?: string; refundNo?: string; code?: string };
  if (answer.status === 200 && body.status === 'SUCCESS' && body.refundNo) return { outcome: 'succeeded', channelRefundNo: body.refundNo };
  return { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', `HTTP ${answer.status} ${body.status ?? ''} ${body.code ?? ''}`.trim()) };
}
