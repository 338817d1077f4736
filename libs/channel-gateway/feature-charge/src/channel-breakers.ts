import CircuitBreaker from 'opossum';
import type { Channel } from '@paystream/contracts';
import { isChannelFailure, type BreakerState, type ChannelAnswer, type ChannelHealth } from '@paystream/channel-gateway/domain';
import type { Logger } from '@paystream/shared/observability';
import type { ChannelMetrics } from './channel-metrics';
import type { BreakerSettings } from './channel-settings';

export type ChannelOperation = 'charge' | 'query' | 'close' | 'refund' | 'refund-query';

/** Carries a failing answer through opossum so it counts against the breaker and still reaches the caller. */
class ChannelFailure extends Error {
  constructor(readonly answer: ChannelAnswer) {
    super(`channel failure: ${answer.kind}`);
  }
}

type Call = () => Promise<ChannelAnswer>;

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
/** Breaker transitions kept in memory for the stats endpoint and the demo report. */
const BREAKER_HISTORY_MAX = 200;

export interface BreakerTransition {
  at: string;
  channel: Channel;
  operation: ChannelOperation;
  to: BreakerState;
}

/**
 * One opossum breaker per channel and operation. A channel that keeps timing out, refusing
 * connections or answering 5xx is not called for a while: calls fail fast as `not-sent` (nothing
 * charged) and routing sends new payments elsewhere. Declines and 4xx are answers, not failures.
 */
export class ChannelBreakers {
  private readonly breakers = new Map<string, CircuitBreaker<[Call], ChannelAnswer>>();
  private readonly history: BreakerTransition[] = [];

  constructor(
    private readonly settings: BreakerSettings,
    private readonly metrics: ChannelMetrics,
    private readonly logger: Logger,
  ) {}

  /** Runs a channel call through its breaker; an open breaker answers `not-sent` without calling. */
  async run(channel: Channel, operation: ChannelOperation, call: Call): Promise<ChannelAnswer> {
    try {
      return await this.breaker(channel, operation).fire(call);
    } catch (error) {
      if (error instanceof ChannelFailure) return error.answer;
      if ((error as { code?: string }).code === 'EOPENBREAKER') return { kind: 'not-sent', detail: `${channel} ${operation} breaker is open` };
      throw error;
    }
  }

  /** A channel's health for routing: its charge breaker and recent answer rate. */
  health(channel: Channel): ChannelHealth {
    const b = this.breakers.get(key(channel, 'charge'));
    if (!b) return { breaker: 'closed' };
    const s = b.stats;
    const calls = s.successes + s.failures + s.rejects;
    return { breaker: stateOf(b), successRate: calls === 0 ? undefined : s.successes / calls };
  }

  /** Every breaker's state and window counts, for /health. */
  snapshot(): Record<string, { state: BreakerState; successes: number; failures: number; rejected: number }> {
    return Object.fromEntries(
      [...this.breakers].map(([k, b]) => [k, { state: stateOf(b), successes: b.stats.successes, failures: b.stats.failures, rejected: b.stats.rejects }]),
    );
  }

  /** The latest breaker transitions, oldest first (when each breaker opened, went half-open, closed). */
  transitions(): BreakerTransition[] {
    return [...this.history];
  }

  shutdown(): void {
    for (const b of this.breakers.values()) b.shutdown();
  }

  private breaker(channel: Channel, operation: ChannelOperation): CircuitBreaker<[Call], ChannelAnswer> {
    const k = key(channel, operation);
    let b = this.breakers.get(k);
    if (b) return b;
    b = new CircuitBreaker(
      async (call: Call) => {
        const answer = await call();
        if (isChannelFailure(answer)) throw new ChannelFailure(answer);
        return answer;
      },
      {
        name: k,
        timeout: false, // the channel client has its own deadline (an unknown outcome, not a breaker timeout)
        errorThresholdPercentage: this.settings.errorThresholdPercent,
        volumeThreshold: this.settings.volumeThreshold,
        resetTimeout: this.settings.resetTimeoutMs,
        rollingCountTimeout: this.settings.rollingWindowMs,
      },
    );
    const labels = { channel, operation };
    const moved = (to: BreakerState) => () => {
      this.metrics.breakerState.set(labels, STATE_VALUE[to]);
      this.metrics.breakerTransitions.inc({ ...labels, to });
      this.history.push({ at: new Date().toISOString(), channel, operation, to });
      if (this.history.length > BREAKER_HISTORY_MAX) this.history.shift();
      this.logger[to === 'open' ? 'warn' : 'info']({ channel, operation, breaker: to }, `channel breaker ${to}`);
    };
    b.on('open', moved('open'));
    b.on('halfOpen', moved('half-open'));
    b.on('close', moved('closed'));
    this.metrics.breakerState.set(labels, STATE_VALUE.closed);
    this.breakers.set(k, b);
    return b;
  }
}

function key(channel: Channel, operation: ChannelOperation): string {
  return `${channel}.${operation}`;
}

function stateOf(b: CircuitBreaker<[Call], ChannelAnswer>): BreakerState {
  return b.opened ? 'open' : b.halfOpen ? 'half-open' : 'closed';
}
