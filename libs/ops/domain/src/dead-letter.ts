import { CE_HEADERS, DLQ_HEADERS } from '@paystream/contracts';

/** Where a message sits in a dead-letter topic (logical topic name). Written `<topic>:<partition>:<offset>`. */
export interface DeadLetterRef {
  topic: string;
  partition: number;
  offset: string;
}

export type DeadLetterError =
  | { code: 'DLQ_REF_INVALID'; ref: string; reason: string }
  | { code: 'DLQ_HEADERS_MISSING'; ref: string; missing: string[] };

export type Outcome<T, E> = { ok: true; value: T } | { ok: false; error: E };

const REF = /^([A-Za-z0-9._-]+\.dlq):(\d{1,9}):(\d{1,19})$/;

/** Parses `<dlq topic>:<partition>:<offset>` (the id `dlq list` prints). */
export function parseDeadLetterRef(text: string): Outcome<DeadLetterRef, DeadLetterError> {
  const m = REF.exec(text);
  if (!m) return { ok: false, error: { code: 'DLQ_REF_INVALID', ref: text, reason: 'expected <topic>.dlq:<partition>:<offset>' } };
  return { ok: true, value: { topic: m[1]!, partition: Number(m[2]), offset: m[3]! } };
}

/** The id of a dead letter as `dlq list` prints it and `dlq replay` takes it. */
export function formatDeadLetterRef(ref: DeadLetterRef): string {
  return `${ref.topic}:${ref.partition}:${ref.offset}`;
}

/** A message as read from a dead-letter topic: key, value and string headers. */
export interface RawDeadLetter {
  key: string | null;
  value: Buffer | null;
  headers: Readonly<Record<string, string>>;
}

/** A dead letter with what the consumer that gave up on it recorded (DLQ_HEADERS). */
export interface DeadLetter extends RawDeadLetter {
  ref: DeadLetterRef;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  reason: string;
  consumer: string;
  deadLetteredAt: string;
  /** The CloudEvents id, when the message had one (malformed messages may not). */
  eventId: string | undefined;
}

const REQUIRED = [DLQ_HEADERS.originalTopic, DLQ_HEADERS.originalPartition, DLQ_HEADERS.originalOffset, DLQ_HEADERS.reason, DLQ_HEADERS.consumer, DLQ_HEADERS.at];

/** Reads the DLQ headers of a message; a message without them cannot be replayed (nothing says where it came from). */
export function readDeadLetter(ref: DeadLetterRef, raw: RawDeadLetter): Outcome<DeadLetter, DeadLetterError> {
  const h = raw.headers;
  const missing = REQUIRED.filter((name) => !h[name]);
  if (missing.length > 0) return { ok: false, error: { code: 'DLQ_HEADERS_MISSING', ref: formatDeadLetterRef(ref), missing } };
  return {
    ok: true,
    value: {
      ...raw,
      ref,
      originalTopic: h[DLQ_HEADERS.originalTopic]!,
      originalPartition: Number(h[DLQ_HEADERS.originalPartition]),
      originalOffset: h[DLQ_HEADERS.originalOffset]!,
      reason: h[DLQ_HEADERS.reason]!,
      consumer: h[DLQ_HEADERS.consumer]!,
      deadLetteredAt: h[DLQ_HEADERS.at]!,
      eventId: h[CE_HEADERS.id] || undefined,
    },
  };
}

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

/**
 * The message to publish again on the original topic: the original key, value and headers (the
 * ce_id among them, so consumers that processed it already skip it), without the DLQ's own headers.
 */
export function replayOf(dl: DeadLetter): { topic: string; key: string | null; value: Buffer | null; headers: Record<string, string> } {
  const headers = Object.fromEntries(Object.entries(dl.headers).filter(([name]) => !DLQ_HEADER_NAMES.has(name)));
  return { topic: dl.originalTopic, key: dl.key, value: dl.value, headers };
}
