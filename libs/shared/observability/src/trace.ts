import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/** The parts of a W3C traceparent (version 00): `00-<trace-id>-<parent-id>-<flags>`. */
export interface Traceparent {
  traceId: string;
  parentId: string;
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/**
 * Parses a traceparent header as W3C Trace Context says: lower-case hex, version ff and all-zero
 * ids are invalid; a future version may carry more fields after the four we read.
 */
export function parseTraceparent(header: string | undefined | null): Traceparent | undefined {
  if (!header) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return { traceId, parentId, flags };
}

/** Formats a version-00 traceparent. */
export function formatTraceparent(t: Traceparent): string {
  return `00-${t.traceId}-${t.parentId}-${t.flags}`;
}

/** The trace this piece of work belongs to: the traceparent of its own span and the trace id. */
export interface TraceContext {
  traceparent: string;
  traceId: string;
}

const storage = new AsyncLocalStorage<TraceContext>();

/** The trace of the work in progress (an HTTP request, a consumed message), if any. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/**
 * A new span's traceparent: continuing the trace of `parent` when it is valid, else of the current
 * trace context, else starting a trace. Sampled flag kept from the parent (01 for a new trace).
 */
export function nextTraceparent(parent?: string): string {
  const p = parseTraceparent(parent) ?? parseTraceparent(storage.getStore()?.traceparent);
  return formatTraceparent({ traceId: p?.traceId ?? randomBytes(16).toString('hex'), parentId: randomBytes(8).toString('hex'), flags: p?.flags ?? '01' });
}

/** The trace id of a traceparent, or undefined when it is not one. */
export function traceIdOf(traceparent?: string): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}

/**
 * Runs fn in a trace context continuing `incoming` (a traceparent received over HTTP or Kafka; a
 * new trace when it is missing or invalid). Logs, outbox rows and HTTP calls made inside carry it.
 */
export function runInTrace<T>(incoming: string | undefined, fn: () => T): T {
  const traceparent = nextTraceparent(parseTraceparent(incoming) ? incoming : formatTraceparent({ traceId: randomBytes(16).toString('hex'), parentId: randomBytes(8).toString('hex'), flags: '01' }));
  return storage.run({ traceparent, traceId: traceIdOf(traceparent)! }, fn);
}
