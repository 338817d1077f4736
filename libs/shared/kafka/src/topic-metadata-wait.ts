/**
 * A topic created a moment ago is known to the controller (and to the broker that answered
 * ensureTopics) before every other broker has applied the metadata record: a client that asks
 * another broker then hears "This server does not host this topic-partition" (or "no leader"),
 * and kafkajs gives up on that at once for a subscribe. On a fresh three-broker cluster under load
 * this window is a few seconds; waiting it out beats a service exiting at start-up.
 */

/** kafkajs error types that mean "this broker has not seen the topic's metadata yet". */
const METADATA_PENDING_ERROR_TYPES: ReadonlySet<string> = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);
/** Attempts of a step that needs the topics' metadata before the error is thrown on. */
export const TOPIC_METADATA_ATTEMPTS_MAX = 10;
/** Back-off before attempt n+1 is n times this (about 11 s over all attempts). */
export const TOPIC_METADATA_BACKOFF_MS = 250;

/** True when the error (or what it wraps) says the broker has not seen a topic's metadata yet. */
export function isTopicMetadataPending(error: unknown): boolean {
  for (let e = error as { type?: unknown; originalError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && METADATA_PENDING_ERROR_TYPES.has(e.type)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

export interface TopicMetadataWaitOptions {
  attemptsMax?: number;
  backoffMs?: number;
  /** Told of each retry (a warning in the service's log). */
  onRetry?: (error: unknown, attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `step`, again with back-off while it fails only because the topics' metadata is still propagating. */
export async function retryWhileTopicMetadataPropagates<T>(step: () => Promise<T>, options: TopicMetadataWaitOptions = {}): Promise<T> {
  const attemptsMax = options.attemptsMax ?? TOPIC_METADATA_ATTEMPTS_MAX;
  const backoffMs = options.backoffMs ?? TOPIC_METADATA_BACKOFF_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!isTopicMetadataPending(error) || attempt >= attemptsMax) throw error;
      options.onRetry?.(error, attempt);
      await sleep(backoffMs * attempt);
    }
  }
}
