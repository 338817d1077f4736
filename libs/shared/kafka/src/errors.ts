/** A failure that retrying cannot fix: the message goes to the dead-letter topic with this reason. */
export class PermanentEventError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentEventError';
  }
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '53300', '40001', '40P01']);

/** Whether an error is worth retrying indefinitely (connections, serialization conflicts, deadlocks). */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; driverError?: { code?: unknown }; retriable?: unknown; name?: unknown };
  const code = String(e.code ?? e.driverError?.code ?? '');
  if (TRANSIENT_CODES.has(code)) return true;
  if (e.retriable === true) return true; // kafkajs errors say so themselves
  return e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSRequestTimeoutError';
}
