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

interface ChannelBody {
  status?: string;
  code?: string;
  message?: string;
  channelTradeNo?: string;
}

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
    return body.code === 'INSUFFICIENT_FUNDS'
      ? { outcome: 'failed', failure: failureReason('CHANNEL_DECLINED_INSUFFICIENT_FUNDS') }
      : { outcome: 'failed', failure: failureReason('CHANNEL_REJECTED_REQUEST', body.code) };
  }
  // an answer we cannot read: the charge may have happened, so ask again later
  return { outcome: 'unknown', failure: failureReason('CHANNEL_OUTCOME_UNKNOWN', `unreadable answer (HTTP ${answer.status})`) };
}

/**
 * Maps a query for an unknown outcome: final when the channel knows the trade, still pending when it
 * does not yet, and failed (nothing was charged) once the channel has not heard of it for giveUpMs.
 */
export function queryResultOf(answer: ChannelAnswer, unknownForMs: number, giveUpMs: number): ChargeResult | 'pending' {
  if (answer.kind === 'http' && answer.status === 404) {
    return unknownForMs >= giveUpMs ? { outcome: 'failed', failure: failureReason('CHANNEL_UNAVAILABLE', 'the channel never received the charge') } : 'pending';
  }
  if (answer.kind !== 'http' || answer.status >= 400) return 'pending';
  const result = chargeResultOf(answer);
  return result.outcome === 'unknown' ? 'pending' : result;
}

/**
 * Whether the answer to a repeated charge may settle a stored unknown outcome. The channel answers
 * a repeat of an outTradeNo with its first answer, so a success, decline or rejection is final; an
 * unavailable channel or another timeout says nothing about the first attempt, so it stays unknown.
 */
export function settlesUnknown(result: ChargeResult): boolean {
  if (result.outcome === 'succeeded') return true;
  return result.outcome === 'failed' && result.failure?.code !== 'CHANNEL_UNAVAILABLE';
}
