import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { CalendarOverrideAudit1765100000000 } from './calendar-override-audit.migration';
import { SettlementRunClaim1765230000000 } from './settlement-run-claim.migration';
import { SettlementTables1764053000000 } from './settlement-tables.migration';
import { SettlementTerms1764950000000 } from './settlement-terms.migration';

describe('the settlement run claim migration over existing runs', () => {
  const schema = uniqueId('stl_runmig_');
  const url = testDatabaseUrl();
  const before = [SettlementTables1764053000000, SettlementTerms1764950000000, CalendarOverrideAudit1765100000000];
  const oldRun = randomUUID();
  let ds: DataSource;

  beforeAll(async () => {
    const old = await openDatabase({ url, schema, migrations: before });
    await old.query(
      `INSERT INTO settlement_run (id, idempotency_key, as_of, merchant_id, orders, carried_forward, settlement_ids, created_at)
       VALUES ($1, 'k-old', '2026-11-30', NULL, 1, 0, ARRAY[$2::uuid], '2026-11-30T02:00:00Z')`,
      [oldRun, randomUUID()],
    );
    await old.destroy();
    ds = await openDatabase({ url, schema, migrations: [...before, SettlementRunClaim1765230000000] });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(url, [schema]);
  });

  it('marks runs made before it completed, claimed and completed when they were made', async () => {
    expect(await ds.query(`SELECT status, claimed_at = created_at AS claimed, completed_at = created_at AS completed FROM settlement_run WHERE id = $1`, [oldRun])).toEqual([
      { status: 'completed', claimed: true, completed: true },
    ]);
  });

  it('has a new claim state its status, one of in_progress and completed', async () => {
    const insert = (status?: string) =>
      ds.query(
        `INSERT INTO settlement_run (id, idempotency_key, as_of, orders, carried_forward${status ? ', status' : ''}) VALUES ($1, $2, '2026-12-01', 0, 0${status ? ', $3' : ''})`,
        status ? [randomUUID(), randomUUID(), status] : [randomUUID(), randomUUID()],
      );
    await expect(insert()).rejects.toThrow(/null value in column "status"/);
    await expect(insert('running')).rejects.toThrow(/check constraint/);
    await expect(insert('in_progress')).resolves.toBeDefined();
  });

  // last: it takes the schema back
  it('rolls back, keeping the runs', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new SettlementRunClaim1765230000000().down(runner);
    } finally {
      await runner.release();
    }
    expect(await ds.query(`SELECT id FROM settlement_run WHERE id = $1`, [oldRun])).toEqual([{ id: oldRun }]);
    expect(await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'settlement_run' AND column_name IN ('status', 'claimed_at', 'completed_at')`, [schema])).toEqual([]);
  });
});
