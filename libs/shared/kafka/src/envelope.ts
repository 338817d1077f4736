import { randomUUID } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { CE_HEADERS, CE_SPEC_VERSION, CONTENT_TYPE_JSON } from '@paystream/contracts';

/** An event ready to publish: logical topic, key, JSON payload and CloudEvents attributes. */
export interface OutgoingEvent {
  id: string;
  topic: string;
  key: string;
  source: string;
  time: string;
  payload: unknown;
  traceparent?: string;
}

/** A consumed event after envelope checks; the payload is validated against its topic's schema. */
export interface ConsumedEvent<P = unknown> {
  id: string;
  topic: string;
  type: string;
  source: string;
  time: string;
  key: string | null;
  traceparent?: string;
  partition: number;
  offset: string;
  payload: P;
}

/** Builds an OutgoingEvent with a fresh ce_id and the current time. */
export function newEvent(fields: Omit<OutgoingEvent, 'id' | 'time'> & Partial<Pick<OutgoingEvent, 'id' | 'time'>>): OutgoingEvent {
  return { id: fields.id ?? randomUUID(), time: fields.time ?? new Date().toISOString(), ...fields };
}

/** The Kafka headers of an event: CloudEvents binary mode plus traceparent. */
export function eventHeaders(event: OutgoingEvent): IHeaders {
  const headers: IHeaders = {
    [CE_HEADERS.id]: event.id,
    [CE_HEADERS.type]: event.topic,
    [CE_HEADERS.source]: event.source,
    [CE_HEADERS.specVersion]: CE_SPEC_VERSION,
    [CE_HEADERS.time]: event.time,
    [CE_HEADERS.contentType]: CONTENT_TYPE_JSON,
  };
  if (event.traceparent) headers[CE_HEADERS.traceparent] = event.traceparent;
  return headers;
}

/** A header value as a string (kafkajs hands out Buffers). */
export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined || v === null) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}
