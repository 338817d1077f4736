import type { DataSource } from 'typeorm';
import type { ConsumedEvent, EventHandler } from '@paystream/shared/kafka';
import type { MessagingMetrics } from '@paystream/shared/observability';
import { inTransaction, type EntityManager } from '@paystream/shared/persistence';

/** Records processed event ids per consumer group: the deduplication half of exactly-once effects. */
export class Inbox {
  /** Marks the event processed in tx; false when it was processed before (do nothing then). */
  async markProcessed(tx: EntityManager, group: string, event: Pick<ConsumedEvent, 'id' | 'topic'>): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO inbox_message (consumer_group, event_id, topic) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [group, event.id, event.topic],
    );
    return rows.length === 1;
  }

  async isProcessed(tx: EntityManager, group: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM inbox_message WHERE consumer_group = $1 AND event_id = $2`, [group, eventId]);
    return rows.length > 0;
  }
}

export interface TransactionalHandlerOptions<P, Prepared> {
  ds: DataSource;
  inbox: Inbox;
  group: string;
  metrics: MessagingMetrics;
  /** Optional work outside the transaction (e.g. an idempotent call to a channel) done before it. */
  prepare?: (event: ConsumedEvent<P>) => Promise<Prepared>;
  /** The effect: domain changes and outbox rows, in the same transaction as the inbox mark. */
  handle: (event: ConsumedEvent<P>, tx: EntityManager, prepared: Prepared) => Promise<void>;
}

/** Wraps a handler so its effect and the inbox mark commit together, and duplicates do nothing. */
export function transactionalHandler<P, Prepared = undefined>(options: TransactionalHandlerOptions<P, Prepared>): EventHandler {
  const { ds, inbox, group, metrics } = options;
  return async (raw) => {
    const event = raw as ConsumedEvent<P>;
    const duplicate = () => metrics.consumed.inc({ group, topic: event.topic, result: 'duplicate' });
    let prepared = undefined as Prepared;
    if (options.prepare) {
      if (await inbox.isProcessed(ds.manager, group, event.id)) return duplicate();
      prepared = await options.prepare(event);
    }
    const processed = await inTransaction(ds, async (tx) => {
      if (!(await inbox.markProcessed(tx, group, event))) return false;
      await options.handle(event, tx, prepared);
      return true;
    });
    if (processed) metrics.consumed.inc({ group, topic: event.topic, result: 'processed' });
    else duplicate();
  };
}
