import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The one-row lease that lets one outbox relay of a service's replicas publish at a time (see OutboxRelay). */
export class OutboxRelayLease1765310000000 implements MigrationInterface {
  name = 'OutboxRelayLease1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_relay_lease (
        id         SMALLINT PRIMARY KEY CHECK (id = 1),
        holder     TEXT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_relay_lease`);
  }
}

