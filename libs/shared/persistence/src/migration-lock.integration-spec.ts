import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, testRoleUrl, uniqueId } from '@paystream/shared/testing';
import { openDatabase } from './data-source';

/** An append-only table, as the ledger's: its trigger makes the start-up restrict the runtime role on it. */
class AppendOnly1764060000001 implements MigrationInterface {
  name = 'AppendOnly1764060000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE entry (id bigserial PRIMARY KEY, amount_minor bigint NOT NULL)`);
    await q.query(`CREATE FUNCTION entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'entry is append-only'; END $$`);
    await q.query(`CREATE TRIGGER entry_append_only BEFORE UPDATE OR DELETE ON entry FOR EACH ROW EXECUTE FUNCTION entry_refuse_change()`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE entry`);
  }
}

/** Replicas of a service starting together: each opens its database, as the runtime role, migrating as the owner role. */
const REPLICAS = 4;

describe('replicas starting together', () => {
  const schemas: string[] = [];
  afterAll(() => dropSchemas(testDatabaseUrl(), schemas));

  it('migrate and restrict the runtime role one at a time: every start-up succeeds, each migration runs once', async () => {
    for (const round of [1, 2]) {
      const schema = uniqueId('miglock_');
      schemas.push(schema);
      const open = () => openDatabase({ url: testRoleUrl(TEST_DATABASE, 'app'), migrationUrl: testRoleUrl(TEST_DATABASE, 'owner'), schema, migrations: [AppendOnly1764060000001], poolSize: 1 });
      const results = await Promise.allSettled(Array.from({ length: REPLICAS }, open));
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => `round ${round}: ${(r.reason as Error).message}`);
      const opened = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      try {
        expect(failures).toEqual([]);
        const [ds] = opened;
        expect(await ds!.query(`SELECT name FROM typeorm_migrations`)).toEqual([{ name: 'AppendOnly1764060000001' }]);
        // and the runtime role is restricted: the grant refuses before the trigger
        await expect(ds!.query(`DELETE FROM entry`)).rejects.toThrow(/permission denied/);
      } finally {
        await Promise.all(opened.map((ds) => ds.destroy()));
      }
    }
  });
});
