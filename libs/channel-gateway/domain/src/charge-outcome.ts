import { failureReason, type ChargeOutcome, type FailureReason } from '@paystream/contracts';

/** What came back from a charge call: an HTTP answer, or no answer at all. */
export type ChannelAnswer =
  | { kind: 'http'; status: number; body: unknown }
  | { kind: 'timeout' }
  | { kind: 'network'; detail: string }
  /** Never sent: the channel's breaker is open or no channel could take it. Nothing was charged. */
  | { kind: 'not-sent'; detail: string };

/** Whether an answer counts against the channel's health (for its breaker): silence, refusals to connect, 5xx. */
export function isChannelFailure(answer: ChannelAnswer): boolean {
  return answer.kind === 'timeout' || answer.kind === 'network' || (answer.kind === 'http' && answer.status >= 500);
}

export interface ChargeResult {
  outcome: ChargeOutcome;
  channelTradeNo?: string;
  failure?: FailureReason;
}

/**
 * The channel-neutral body the protocol adapters translate every answer into:
 * charge / query: SUCCESS (with channelTradeNo), DECLINED (with code), PENDING (in process, waiting
 * for the buyer, accepted); close: CLOSED or ALREADY_PAID; refund and refund query: SUCCESS (with
 * refundNo), FAILED (for sure) or PENDING (processing, not yet known). A trade (or refund) the
 * channel does not know is HTTP 404.
 */
export interface ChannelBody {
  status?: 'SUCCESS' | 'DECLINED' | 'PENDING' | 'ERROR' | 'UNVERIFIED' | 'NOT_FOUND' | 'CLOSED' | 'ALREADY_PAID' | 'FAILED';
  code?: string;
  message?: string;
  channelTradeNo?: string;
  refundNo?: string;
}

/** Channel decline codes that mean the shopper's funds were not enough (the adapters map to these). */
export const INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS';

/**
 * Maps a charge call to an outcome. Only an answer that says so is a failure; silence after the
 * request may have arrived (a timeout) is unknown, never failed: the channel may have charged.
 */
export function chargeResultOf(answer: ChannelAnswer): ChargeResult {
  if (answer.kind === 'timeout') return { outcome: 'unknown', failure: failureReason('CHANNEL_OUTCOME_UNKNOWN', 'the channel did not answer in time') };
  if (answer.kind === 'network' || answer.kind === 'not-sent') return { outcome: 'failed', failure: failureReason('CHANNEL_UNAVAILABLE', answer.detail) };
  const body = (answer.body ?? {}) as ChannelBody;
  if (answer.status >= 500) return { outcome: 'failed', failure: failureReason('CHANNEL_UNAVAILABLE', `HTTP ${answer.status} ${body.code ?? ''}`.trim()) };
  if (answer.status >= 400) return { outcome: 'failed', failure: failureReason('CHANNEL_REJECTED_REQUEST', `HTTP ${answer.status} ${body.code ?? ''} ${body.message ?? ''}`.trim()) };
  if (body.status === 'SUCCESS' && body.channelTradeNo) return { outcome: 'succeeded', channelTradeNo: body.channelTradeNo };
  if (body.status === 'DECLINED') {
    return body.code === INSUFFICIENT_FUNDS
      ? { outcome: 'failed', failure: failureReason('CHANNEL_DECLINED_INSUFFICIENT_FUNDS') }
      : { outcome: 'failed', failure: failureReason('CHANNEL_DECLINED', body.code) };
  }
  if (body.status === 'PENDING') return { outcome: 'unknown', failure: failureReason('CHANNEL_OUTCOME_UNKNOWN', `the channel is processing (${body.code ?? 'in process'})`) };
  // an answer we cannot read: the charge may have happened, so ask again later
  return { outcome: 'unknown', failure: failureReason('CHANNEL_OUTCOME_UNKNOWN', `unreadable answer (HTTP ${answer.status})`) };
}

/** What a query of an unknown outcome tells: a final result, not yet, or that the channel never received the charge. */
export type QueryResult = ChargeResult | 'pending' | 'not-found';

/** Maps a query: final when the channel knows how the trade ended; an unreadable or failed query says nothing. */
export function queryResultOf(answer: ChannelAnswer): QueryResult {
  if (answer.kind === 'http' && answer.status === 404) return 'not-found';
  if (answer.kind !== 'http' || answer.status >= 400) return 'pending';
  const result = chargeResultOf(answer);
  return result.outcome === 'unknown' ? 'pending' : result;
}

/** What closing a trade at the channel achieved: closed (nothing will be charged), paid meanwhile, or ask again. */
export type CloseResult = 'closed' | 'already-paid' | 'retry';

/** Maps a close: a trade the channel never received counts as closed (nothing can be charged on it). */
export function closeResultOf(answer: ChannelAnswer): CloseResult {
  if (answer.kind !== 'http') return 'retry';
  if (answer.status === 404) return 'closed';
  const body = (answer.body ?? {}) as ChannelBody;
  if (answer.status === 200 && body.status === 'CLOSED') return 'closed';
  if (answer.status === 200 && body.status === 'ALREADY_PAID') return 'already-paid';
  return 'retry';
}

/** The result a closed trade ends with: failed, the shopper may pay again. */
export function closedResult(detail: string): ChargeResult {
  return { outcome: 'failed', failure: failureReason('CHANNEL_TRADE_CLOSED', detail) };
}
