import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { openDatabase } from '@paystream/shared/persistence';
import { testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { SETTLEMENT_MIGRATIONS } from '@paystream/settlement/data-access';
import { RECONCILIATION_MIGRATIONS } from '@paystream/settlement/feature-reconcile';

const SETUP_SCRIPT = resolve(__dirname, '../../../infra/postgres/setup.sh');
const SCHEMA = 'paystream';

/**
 * The roles infra/postgres/setup.sh creates, on databases of their own (a scratch prefix): settlement's
 * migrations run as its owner role, and its runtime role may do the DML the service needs and nothing
 * that rewrites the books, changes the schema, silences a trigger or reaches another service's data.
 */
describe('per-service database roles (infra/postgres/setup.sh)', () => {
  const prefix = uniqueId('pgr_');
  const passwordDir = mkdtempSync(join(tmpdir(), 'paystream-pg-roles-'));
  const admin = new URL(testDatabaseUrl('postgres'));
  const env = { ...process.env, PGHOST: admin.hostname, PGPORT: admin.port || '5432', PGUSER: 'postgres', PAYSTREAM_DB_PREFIX: prefix, PAYSTREAM_DB_SERVICES: 'settlement merchant', PAYSTREAM_PG_PASSWORD_DIR: passwordDir, DB_SCHEMA: SCHEMA };
  const role = (svc: string, kind: 'owner' | 'app') => `${prefix}_${svc}_${kind}`;
  const urlAs = (svc: string, kind: 'owner' | 'app', db = svc) => {
    const name = role(svc, kind);
    return `postgres://${name}:${readFileSync(join(passwordDir, `${name}.password`), 'utf8')}@${admin.host}/${prefix}_${db}`;
  };
  let ds: DataSource;
  let runtime: Client;

  const setup = () => promisify(execFile)('bash', [SETUP_SCRIPT], { env });

  beforeAll(async () => {
    await setup();
    await setup(); // idempotent: a second run keeps the passwords and changes nothing
    ds = await openDatabase({
      url: urlAs('settlement', 'app'),
      migrationUrl: urlAs('settlement', 'owner'),
      schema: SCHEMA,
      migrations: [...AUDIT_LOG_MIGRATIONS, ...SETTLEMENT_MIGRATIONS, ...RECONCILIATION_MIGRATIONS],
      poolSize: 1,
    });
    runtime = new Client({ connectionString: urlAs('settlement', 'app'), options: `-c search_path=${SCHEMA}` });
    await runtime.connect();
    // one balanced booking, by the runtime role: the DML the service needs
    await runtime.query('BEGIN');
    await runtime.query(`INSERT INTO ledger_account (id, kind, currency) VALUES ('shopper_funds_in_transit', 'shopper_funds_in_transit', 'CNY'), ('merchant_payable:m-1', 'merchant_payable', 'CNY')`);
    const txId = randomUUID();
    await runtime.query(`INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'payment', $2)`, [txId, `payment:${txId}`]);
    await runtime.query(`INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES ($1, 'shopper_funds_in_transit', -100, 'CNY'), ($1, 'merchant_payable:m-1', 100, 'CNY')`, [txId]);
    await runtime.query('COMMIT');
  });

  afterAll(async () => {
    await runtime?.end();
    await ds?.destroy();
    const pg = new Client({ connectionString: admin.toString() });
    await pg.connect();
    for (const svc of ['settlement', 'merchant']) {
      await pg.query(`DROP DATABASE IF EXISTS "${prefix}_${svc}" WITH (FORCE)`);
      for (const kind of ['owner', 'app'] as const) await pg.query(`DROP ROLE IF EXISTS "${role(svc, kind)}"`);
    }
    await pg.end();
    rmSync(passwordDir, { recursive: true, force: true });
  });

  it('keeps each password in a file only its owner can read, and the server a SCRAM verifier of it', async () => {
    expect.assertions(5);
    for (const kind of ['owner', 'app'] as const) expect(statSync(join(passwordDir, `${role('settlement', kind)}.password`)).mode & 0o777).toBe(0o600);
    const pg = new Client({ connectionString: admin.toString() });
    await pg.connect();
    try {
      const { rows } = await pg.query(`SELECT rolname, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram, rolsuper FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname`, [[role('settlement', 'app'), role('settlement', 'owner')]]);
      expect(rows.map((r) => r.scram)).toEqual([true, true]);
      expect(rows.map((r) => r.rolsuper)).toEqual([false, false]);
    } finally {
      await pg.end();
    }
    expect(readFileSync(join(passwordDir, `${role('settlement', 'app')}.password`), 'utf8')).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('lets the runtime role do the DML the service needs: read, insert, update its tables', async () => {
    expect.assertions(3);
    const { rows } = await runtime.query(`SELECT balance_minor FROM ledger_account WHERE id = 'merchant_payable:m-1'`);
    expect(rows).toEqual([{ balance_minor: '100' }]);
    const updated = await runtime.query(`UPDATE ledger_account SET kind = kind WHERE id = 'merchant_payable:m-1'`);
    expect(updated.rowCount).toBe(1);
    await expect(runtime.query(`SELECT count(*) FROM audit_log`)).resolves.toBeDefined();
  });

  it.each([
    ['UPDATE of a ledger entry', `UPDATE ledger_entry SET amount_minor = 1`, /permission denied for table ledger_entry/],
    ['DELETE of a ledger transaction', `DELETE FROM ledger_transaction`, /permission denied for table ledger_transaction/],
    ['DELETE from audit_log', `DELETE FROM audit_log`, /permission denied for table audit_log/],
    ['DELETE of the audit log head', `DELETE FROM audit_log_head`, /permission denied for table audit_log_head/],
    ['ALTER TABLE ... DISABLE TRIGGER', `ALTER TABLE ledger_entry DISABLE TRIGGER ALL`, /must be owner of table ledger_entry/],
    ['switching triggers off for the session', `SET session_replication_role = replica`, /permission denied to set parameter/],
    ['CREATE TABLE in its schema', `CREATE TABLE ${SCHEMA}.intruder (id INT)`, /permission denied for schema paystream/],
    ['CREATE TABLE in public', `CREATE TABLE public.intruder (id INT)`, /permission denied for schema public/],
    ['DROP TABLE', `DROP TABLE ledger_entry`, /must be owner of table ledger_entry/],
    ['TRUNCATE', `TRUNCATE ledger_account`, /permission denied for table ledger_account/],
  ])('refuses the runtime role %s', async (_what, sql, message) => {
    expect.assertions(2);
    const error = (await runtime.query(sql).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe('42501'); // insufficient_privilege: the grant, not a trigger, refuses
    expect(error.message).toMatch(message);
  });

  it.each([
    ["the settlement runtime role into merchant's database", () => urlAs('settlement', 'app', 'merchant')],
    ["the settlement owner role into merchant's database", () => urlAs('settlement', 'owner', 'merchant')],
    ["the merchant runtime role into settlement's database", () => urlAs('merchant', 'app', 'settlement')],
  ])('refuses %s', async (_what, url) => {
    expect.assertions(2);
    const client = new Client({ connectionString: url() });
    const error = (await client.connect().catch((e: unknown) => e)) as { code?: string; message?: string };
    await client.end().catch(() => undefined);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/permission denied for database/);
  });

  it("migrates as the schema's owner role even when a superuser runs the migrations (the admin CLI), so the runtime role may use what they create", async () => {
    expect.assertions(2);
    class LateTable1999000000000 implements MigrationInterface {
      async up(q: QueryRunner): Promise<void> {
        await q.query(`CREATE TABLE late_table (id INT PRIMARY KEY)`);
      }
      async down(): Promise<void> {}
    }
    const superuserDs = await openDatabase({ url: `postgres://postgres@${admin.host}/${prefix}_settlement`, schema: SCHEMA, migrations: [LateTable1999000000000], poolSize: 1 });
    try {
      const [table] = (await superuserDs.query(`SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'late_table'`, [SCHEMA])) as { tableowner: string }[];
      expect(table?.tableowner).toBe(role('settlement', 'owner'));
      expect((await runtime.query(`INSERT INTO late_table (id) VALUES (1)`)).rowCount).toBe(1);
    } finally {
      await superuserDs.destroy();
    }
  });

  it('leaves the ledger as the runtime role booked it', async () => {
    expect.assertions(1);
    const { rows } = await runtime.query(`SELECT amount_minor FROM ledger_entry ORDER BY amount_minor`);
    expect(rows.map((r) => r.amount_minor)).toEqual(['-100', '100']);
  });
});
