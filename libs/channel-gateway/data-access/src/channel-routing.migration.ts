import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Why each charge went over its channel (the routing decision is kept with the attempt). */
export class ChannelRouting1764055000000 implements MigrationInterface {
  name = 'ChannelRouting1764055000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE channel_transaction ADD COLUMN routing_reasons JSONB NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE channel_transaction DROP COLUMN routing_reasons`);
  }
}
