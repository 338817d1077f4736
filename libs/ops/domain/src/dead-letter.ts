import { ALL_TOPICS, CE_HEADERS, DLQ_HEADERS, dlqTopicOf } from '@paystream/contracts';

/** Where a message sits in a dead-letter topic (logical topic name). Written `<topic>:<partition>:<offset>`. */
export interface DeadLetterRef {
  topic: string;
  partition: number;
  offset: string;
}

export type DeadLetterError =
  | { code: 'DLQ_REF_INVALID'; ref: string; reason: string }
  | { code: 'DLQ_HEADERS_MISSING'; ref: string; missing: string[] }
  | { code: 'DLQ_ORIGIN_INVALID'; ref: string; originalTopic: string; reason: string };

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

const KNOWN_TOPICS: ReadonlySet<string> = new Set(ALL_TOPICS);

/**
 * Why a dead letter's original-topic header cannot be replayed to, or undefined when it can: it
 * must be a Paystream topic (never a DLQ topic) and the one whose DLQ the message sits in, so a
 * forged or corrupted header can never turn a replay into a publish to an arbitrary topic.
 */
export function originTopicProblem(dlqTopic: string, originalTopic: string): string | undefined {
  if (originalTopic.endsWith('.dlq')) return 'a dead-letter topic is never replayed to';
  if (!KNOWN_TOPICS.has(originalTopic)) return 'not a Paystream topic';
  if (dlqTopicOf(originalTopic) !== dlqTopic) return `a message in ${dlqTopic} is only replayed to the topic it was dead-lettered from`;
  return undefined;
}

/**
 * Reads the DLQ headers of a message; a message without them cannot be replayed (nothing says where
 * it came from), nor one whose original topic is not the topic of its DLQ (originTopicProblem).
 */
export function readDeadLetter(ref: DeadLetterRef, raw: RawDeadLetter): Outcome<DeadLetter, DeadLetterError> {
  const h = raw.headers;
  const missing = REQUIRED.filter((name) => !h[name]);
  if (missing.length > 0) return { ok: false, error: { code: 'DLQ_HEADERS_MISSING', ref: formatDeadLetterRef(ref), missing } };
  const originalTopic = h[DLQ_HEADERS.originalTopic]!;
  const problem = originTopicProblem(ref.topic, originalTopic);
  if (problem) return { ok: false, error: { code: 'DLQ_ORIGIN_INVALID', ref: formatDeadLetterRef(ref), originalTopic, reason: problem } };
  return {
    ok: true,
    value: {
      ...raw,
      ref,
      originalTopic,
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
