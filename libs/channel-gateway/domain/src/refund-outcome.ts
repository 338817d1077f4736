import { failureReason, type FailureReason } from '@paystream/contracts';
import type { ChannelAnswer, ChannelBody } from './charge-outcome';

/**
 * What a refund call came to. `unknown`: the channel may have refunded (no answer in time, the
 * connection cut after sending, a 5xx, "processing", an answer that does not verify): it is
 * queried, never reported failed, and it keeps its part of the capture until settled.
 */
export interface RefundResult {
  outcome: 'succeeded' | 'failed' | 'unknown';
  channelRefundNo?: string;
  /** Why it failed; for an unknown refund, why it is unknown (kept with it while it is queried). */
  failure?: FailureReason;
}

/** A refund result the channel stated for sure. */
export type FinalRefundResult = RefundResult & { outcome: 'succeeded' | 'failed' };

/**
 * Connection errors that happen before a request leaves (nothing reached the channel, so nothing
 * can have been refunded). Any other network error may have cut a request the channel received.
 */
const NEVER_SENT_NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'] as const;

/** Whether a network failure happened before the request could reach the channel. */
export function networkFailureBeforeSending(detail: string): boolean {
  return NEVER_SENT_NETWORK_CODES.some((code) => detail.includes(code));
}

function unknown(detail: string): RefundResult {
  return { outcome: 'unknown', failure: failureReason('CHANNEL_OUTCOME_UNKNOWN', `refund: ${detail}`) };
}

/**
 * Maps a refund call to its outcome. Only an answer that says so is a failure: the channels refund
 * an out_refund_no once, but a new refund (a new number) after one that was never answered could
 * refund twice, so silence and "processing" stay unknown until a query tells.
 */
export function refundResultOf(answer: ChannelAnswer): RefundResult {
  if (answer.kind === 'not-sent') return { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', answer.detail) };
  if (answer.kind === 'timeout') return unknown('the channel did not answer in time');
  if (answer.kind === 'network') {
    return networkFailureBeforeSending(answer.detail) ? { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', answer.detail) } : unknown(`the connection failed after sending (${answer.detail})`);
  }
  const body = (answer.body ?? {}) as ChannelBody;
  // a 5xx may come after the channel acted: only a query can tell
  if (answer.status >= 500) return unknown(`HTTP ${answer.status} ${body.code ?? ''}`.trim());
  // a request the channel refused to read (bad parameters, signature): it did nothing
  if (answer.status >= 400) return { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', `HTTP ${answer.status} ${body.status ?? ''} ${body.code ?? ''}`.trim()) };
  if (body.status === 'SUCCESS' && body.refundNo) return { outcome: 'succeeded', channelRefundNo: body.refundNo };
  if (body.status === 'FAILED') return { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', `HTTP ${answer.status} FAILED ${body.code ?? ''}`.trim()) };
  if (body.status === 'PENDING') return unknown(`the channel is processing (${body.code ?? 'in process'})`);
  return unknown(`unreadable answer (HTTP ${answer.status} ${body.status ?? ''} ${body.code ?? ''})`.replace(/\s+\)/, ')'));
}

/**
 * Maps the answer to a refund sent again with the same refund number (its first send may have
 * reached the channel before the process died). A resend that never left (breaker open, no
 * connection) says nothing about the first one, so it is unknown, not failed; the channel's own
 * answer about the refund number stands.
 */
export function resentRefundResultOf(answer: ChannelAnswer): RefundResult {
  const neverLeft = answer.kind === 'not-sent' || (answer.kind === 'network' && networkFailureBeforeSending(answer.detail));
  return neverLeft ? unknown(`sent again, but the resend never left (${answer.detail}); the first send may have reached the channel`) : refundResultOf(answer);
}

/** What a query of an unknown refund tells: a final result, not yet, or that the channel has no such refund. */
export type RefundQueryResult = FinalRefundResult | 'pending' | 'not-found';

/**
 * Maps a refund query. Final only when the channel says how the refund ended; a failed or
 * unreadable query says nothing. `not-found` is not a failure: a refund sent but not (yet) booked
 * may still be, and the channels only say "no refund under this number", never "none will be".
 */
export function refundQueryResultOf(answer: ChannelAnswer): RefundQueryResult {
  if (answer.kind === 'http' && answer.status === 404) return 'not-found';
  if (answer.kind !== 'http' || answer.status >= 400) return 'pending';
  const result = refundResultOf(answer);
  return result.outcome === 'unknown' ? 'pending' : (result as FinalRefundResult);
}
