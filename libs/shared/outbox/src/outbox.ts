import { checkEventPayload, TOPIC_KEYS, type EventPayload, type TopicName } from '@paystream/contracts';
import { newEvent, type OutgoingEvent } from '@paystream/shared/kafka';
import { currentTrace, nextTraceparent } from '@paystream/shared/observability';
import type { EntityManager } from '@paystream/shared/persistence';

/** Writes events to the outbox table in the caller's transaction; the relay publishes them later. */
export class Outbox {
  /** @param notifyChannel the NOTIFY channel the relay LISTENs on (see outboxNotifyChannel) */
  constructor(
    private readonly source: string,
    private readonly notifyChannel?: string,
  ) {}

  /**
   * Validates the payload against its topic's schema and stores it with a fresh ce_id, keyed as the
   * contract says. Throws on an invalid payload, which rolls the caller's transaction back.
   */
  async enqueue<T extends TopicName>(
    tx: EntityManager,
    topic: T,
    payload: EventPayload<T>,
    options: { traceparent?: string } = {},
  ): Promise<OutgoingEvent> {
    const check = checkEventPayload(topic, payload);
    if (!check.ok) throw new Error(`refusing to emit an invalid event: ${check.reason}`);
    const event = newEvent({
      topic,
      key: TOPIC_KEYS[topic](check.value),
      source: this.source,
      payload: check.value,
      // without one given, the event continues the trace of the work that emits it
      traceparent: options.traceparent ?? (currentTrace() ? nextTraceparent() : undefined),
    });
    // one round trip: the row, and (when a relay listens) a NOTIFY delivered on commit, folded into one per transaction
    await tx.query(
      this.notifyChannel
        ? `WITH stored AS (
             INSERT INTO outbox_event (id, topic, key, source, traceparent, payload, occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING 1)
           SELECT pg_notify($8, '') FROM stored`
        : `INSERT INTO outbox_event (id, topic, key, source, traceparent, payload, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        event.id,
        event.topic,
        event.key,
        event.source,
        event.traceparent ?? null,
        JSON.stringify(event.payload),
        event.time,
        ...(this.notifyChannel ? [this.notifyChannel] : []),
      ],
    );
    return event;
  }
}

/** The NOTIFY channel of a service's outbox: per schema, since test schemas share a database. */
export function outboxNotifyChannel(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  return `outbox_${schema}`;
}
