import { readFileSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { Actors, appendAudit, AUDIT_LOG_MIGRATIONS, verifyAuditChain } from '@paystream/shared/audit-log';
import { createDataSource, inTransaction, openDatabase } from '@paystream/shared/persistence';
import { ScratchDatabaseRoles, testDatabaseUrl, type DatabaseRoleKind } from '@paystream/shared/testing';
import { SETTLEMENT_MIGRATIONS } from '@paystream/settlement/data-access';
import { RECONCILIATION_MIGRATIONS } from '@paystream/settlement/feature-reconcile';

const SCHEMA = 'paystream';

/**
 * The roles infra/postgres/setup.sh creates, on databases of their own (a scratch prefix): settlement's
 * migrations run as its owner role, and its runtime role may do the DML the service needs and nothing
 * that rewrites the books or the record of migrations run, changes the schema, silences a trigger or
 * reaches another service's data; its read-only role (the auditor's) reads every table and writes nothing.
 */
describe('per-service database roles (infra/postgres/setup.sh)', () => {
  const roles = new ScratchDatabaseRoles(['settlement', 'merchant']);
  const admin = new URL(testDatabaseUrl('postgres'));
  const role = (svc: string, kind: DatabaseRoleKind) => roles.role(svc, kind);
  const urlAs = (svc: string, kind: DatabaseRoleKind, db = svc) => roles.url(svc, kind, db);
  let ds: DataSource;
  let runtime: Client;
  let reader: Client;

  const setup = () => roles.setup();
  /** The error a statement fails with ({} when it does not). */
  const refusal = async (client: Client, sql: string) => ((await client.query(sql).then(() => ({}), (e: unknown) => e)) as { code?: string; message?: string });

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
    // and one audit row, as the service appends it
    await inTransaction(ds, (tx) => appendAudit(tx, { actor: Actors.system('roles-spec'), action: 'payout.sent', subject: `payout:${txId}` }));
    reader = new Client({ connectionString: urlAs('settlement', 'reader'), options: `-c search_path=${SCHEMA}` });
    await reader.connect();
  });

  afterAll(async () => {
    await reader?.end();
    await runtime?.end();
    await ds?.destroy();
    await roles.dispose();
  });

  it('keeps each password in a file only its owner can read, and the server a SCRAM verifier of it', async () => {
    expect.assertions(6);
    for (const kind of ['owner', 'app', 'reader'] as const) expect(statSync(roles.passwordFile('settlement', kind)).mode & 0o777).toBe(0o600);
    const pg = new Client({ connectionString: admin.toString() });
    await pg.connect();
    try {
      const { rows } = await pg.query(`SELECT rolname, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram, rolsuper FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname`, [[role('settlement', 'app'), role('settlement', 'owner'), role('settlement', 'reader')]]);
      expect(rows.map((r) => r.scram)).toEqual([true, true, true]);
      expect(rows.map((r) => r.rolsuper)).toEqual([false, false, false]);
    } finally {
      await pg.end();
    }
    expect(readFileSync(roles.passwordFile('settlement', 'app'), 'utf8')).toMatch(/^[A-Za-z0-9_-]{32}$/);
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
    ['INSERT of a migration it did not run', `INSERT INTO typeorm_migrations (timestamp, name) VALUES (1999000000001, 'Forged1999000000001')`, /permission denied for table typeorm_migrations/],
    ['UPDATE of the migrations run', `UPDATE typeorm_migrations SET name = name`, /permission denied for table typeorm_migrations/],
    ['DELETE of a migration run (so it runs again)', `DELETE FROM typeorm_migrations`, /permission denied for table typeorm_migrations/],
    ["the migrations table's sequence", `SELECT nextval('typeorm_migrations_id_seq')`, /permission denied for sequence typeorm_migrations_id_seq/],
  ])('refuses the runtime role %s', async (_what, sql, message) => {
    expect.assertions(2);
    const error = await refusal(runtime, sql);
    expect(error.code).toBe('42501'); // insufficient_privilege: the grant, not a trigger, refuses
    expect(error.message).toMatch(message);
  });

  it('lets the runtime role read which migrations ran (the check a start-up without an owner URL makes)', async () => {
    expect.assertions(1);
    const { rows } = await runtime.query(`SELECT name FROM typeorm_migrations`);
    expect(rows.length).toBe(AUDIT_LOG_MIGRATIONS.length + SETTLEMENT_MIGRATIONS.length + RECONCILIATION_MIGRATIONS.length);
  });

  it('gives nothing back when setup runs again while the service runs (npm run setup): what the start-up took stays taken', async () => {
    expect.assertions(1);
    await setup();
    const pg = new Client({ connectionString: roles.superuserUrl('settlement') });
    await pg.connect();
    try {
      const taken = [
        ...['ledger_entry', 'ledger_transaction', 'audit_log'].flatMap((t) => ['UPDATE', 'DELETE', 'TRUNCATE'].map((p) => [t, p])),
        ['audit_log_head', 'DELETE'],
        ...['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'].map((p) => ['typeorm_migrations', p]),
      ];
      const { rows } = await pg.query(
        `SELECT t.name || ' ' || t.privilege AS granted FROM unnest($3::text[], $4::text[]) AS t(name, privilege) WHERE has_table_privilege($1, $2 || '.' || t.name, t.privilege)
         UNION ALL SELECT 'typeorm_migrations_id_seq USAGE' WHERE has_sequence_privilege($1, $2 || '.typeorm_migrations_id_seq', 'USAGE')`,
        [role('settlement', 'app'), SCHEMA, taken.map(([t]) => t), taken.map(([, p]) => p)],
      );
      expect(rows.map((r) => r.granted)).toEqual([]);
    } finally {
      await pg.end();
    }
  });

  it("lets the read-only role read every table of its database: the books, the audit chain (the auditor's walk), the migrations run", async () => {
    expect.assertions(3);
    const { rows } = await reader.query(`SELECT amount_minor FROM ledger_entry ORDER BY amount_minor`);
    expect(rows.map((r) => r.amount_minor)).toEqual(['-100', '100']);
    expect((await reader.query(`SELECT count(*)::int AS n FROM typeorm_migrations`)).rows[0].n).toBeGreaterThan(0);
    // as tools/auditor's `verify` reads it: no migrations, no schema creation
    const auditor = createDataSource({ url: urlAs('settlement', 'reader'), schema: SCHEMA, migrations: [], poolSize: 1 });
    await auditor.initialize();
    try {
      expect(await verifyAuditChain(auditor)).toMatchObject({ status: 'ok', length: 1n });
    } finally {
      await auditor.destroy();
    }
  });

  it.each([
    ['INSERT', `INSERT INTO ledger_account (id, kind, currency) VALUES ('merchant_payable:m-2', 'merchant_payable', 'CNY')`, /permission denied for table ledger_account/],
    ['UPDATE', `UPDATE ledger_account SET kind = kind`, /permission denied for table ledger_account/],
    ['DELETE', `DELETE FROM ledger_account WHERE false`, /permission denied for table ledger_account/],
    ['INSERT into audit_log', `INSERT INTO audit_log (seq) VALUES (999)`, /permission denied for table audit_log/],
    ['UPDATE of the audit log head', `UPDATE audit_log_head SET seq = seq`, /permission denied for table audit_log_head/],
    ['SELECT ... FOR UPDATE (a lock writers would wait on)', `SELECT * FROM audit_log_head FOR UPDATE`, /permission denied for table audit_log_head/],
    ['INSERT into typeorm_migrations', `INSERT INTO typeorm_migrations (timestamp, name) VALUES (1999000000001, 'Forged1999000000001')`, /permission denied for table typeorm_migrations/],
    ['TRUNCATE', `TRUNCATE ledger_account`, /permission denied for table ledger_account/],
    ['a sequence', `SELECT nextval('typeorm_migrations_id_seq')`, /permission denied for sequence typeorm_migrations_id_seq/],
    ['CREATE TABLE in its schema', `CREATE TABLE ${SCHEMA}.intruder (id INT)`, /permission denied for schema paystream/],
    ['CREATE TABLE in public', `CREATE TABLE public.intruder (id INT)`, /permission denied for schema public/],
    ['CREATE SCHEMA', `CREATE SCHEMA intruder`, /permission denied for database/],
  ])('refuses the read-only role %s', async (_what, sql, message) => {
    expect.assertions(2);
    const error = await refusal(reader, sql);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(message);
  });

  it.each([
    ["the settlement runtime role into merchant's database", () => urlAs('settlement', 'app', 'merchant')],
    ["the settlement owner role into merchant's database", () => urlAs('settlement', 'owner', 'merchant')],
    ["the merchant runtime role into settlement's database", () => urlAs('merchant', 'app', 'settlement')],
    ["the settlement read-only role into merchant's database", () => urlAs('settlement', 'reader', 'merchant')],
    ["the merchant read-only role into settlement's database", () => urlAs('merchant', 'reader', 'settlement')],
  ])('refuses %s', async (_what, url) => {
    expect.assertions(2);
    const client = new Client({ connectionString: url() });
    const error = (await client.connect().catch((e: unknown) => e)) as { code?: string; message?: string };
    await client.end().catch(() => undefined);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/permission denied for database/);
  });

  it("migrates as the schema's owner role even when a superuser runs the migrations (an operator's tool), so the runtime role may use what they create and the read-only role read it", async () => {
    expect.assertions(4);
    class LateTable1999000000000 implements MigrationInterface {
      async up(q: QueryRunner): Promise<void> {
        await q.query(`CREATE TABLE late_table (id INT PRIMARY KEY)`);
      }
      async down(): Promise<void> {}
    }
    const superuserDs = await openDatabase({ url: roles.superuserUrl('settlement'), schema: SCHEMA, migrations: [LateTable1999000000000], poolSize: 1 });
    try {
      const [table] = (await superuserDs.query(`SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'late_table'`, [SCHEMA])) as { tableowner: string }[];
      expect(table?.tableowner).toBe(role('settlement', 'owner'));
      expect((await runtime.query(`INSERT INTO late_table (id) VALUES (1)`)).rowCount).toBe(1);
      expect((await reader.query(`SELECT id FROM late_table`)).rows).toEqual([{ id: 1 }]);
      expect((await refusal(reader, `INSERT INTO late_table (id) VALUES (2)`)).code).toBe('42501');
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
