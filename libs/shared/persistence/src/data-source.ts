import type { EventEmitter } from 'node:events';
import { DataSource, type EntityManager, type MixedList } from 'typeorm';

export type { EntityManager } from 'typeorm';

/**
 * Limits every connection of a service carries (Postgres session settings, sent at connect).
 * A statement, a lock wait or an open-and-idle transaction past its limit is ended by the server,
 * so one stuck query holds neither a pooled connection nor its locks for ever.
 */
export interface SessionTimeouts {
  /** statement_timeout: a statement running longer is cancelled (SQLSTATE 57014). 0: no limit. */
  statementMs: number;
  /**
   * lock_timeout: a wait for a row, table or advisory lock (pg_advisory_xact_lock) longer than this
   * fails (SQLSTATE 55P03). 0: no limit.
   */
  lockMs: number;
  /** idle_in_transaction_session_timeout: a session idle this long inside a transaction is closed (25P03). 0: no limit. */
  idleInTransactionMs: number;
}

/**
 * The longest a statement may run. The longest legitimate ones (reconciliation's ledger read of a
 * day's bookings, a settlement run's per-merchant reads, the statement CSV, a retention batch, the
 * auditor's batches) take well under a second on indexed reads; 30 s is two orders of magnitude of
 * headroom and still frees a connection a runaway query would hold. Migrations are exempt (below).
 */
export const DB_STATEMENT_TIMEOUT_MS = 30_000;
/**
 * The longest a lock wait may last. Waits meant to block (settlement's per-merchant advisory lock,
 * reconciliation's per-day lock, the first-admin bootstrap lock, risk's velocity-key locks, FOR UPDATE
 * on a payment or batch) wait for another transaction of a few statements; 10 s is far past that, and
 * a wait longer than it is a stuck holder: the waiter fails with 55P03 (transient: a consumer retries).
 */
export const DB_LOCK_TIMEOUT_MS = 10_000;
/**
 * The longest a transaction may sit idle between statements. No code awaits anything slow inside a
 * transaction (calls to channels, banks and Kafka happen outside one); a transaction idle this long is
 * a leaked or stalled one holding locks, and the server closes its session.
 */
export const DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
/**
 * The longest opening a pooled connection, or waiting for a free one, may take (pg-pool's
 * connectionTimeoutMillis): past it the query fails ("timeout exceeded when trying to connect",
 * transient) instead of queueing without end behind a full pool or an unreachable server.
 */
export const DB_CONNECT_TIMEOUT_MS = 10_000;

export const DB_SESSION_TIMEOUTS_DEFAULT: SessionTimeouts = {
  statementMs: DB_STATEMENT_TIMEOUT_MS,
  lockMs: DB_LOCK_TIMEOUT_MS,
  idleInTransactionMs: DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
};

/**
 * The connection migrations run on: no statement limit (a backfill may run for minutes) and no idle
 * limit (a migration may compute between statements), but the same lock limit as the service, so a
 * schema change queued behind a long transaction fails the start-up rather than stall every query
 * queued behind its lock.
 */
export function migrationTimeouts(timeouts: SessionTimeouts): SessionTimeouts {
  return { statementMs: 0, lockMs: timeouts.lockMs, idleInTransactionMs: 0 };
}

/**
 * How long a start-up waits for another replica's migrations of the same schema (the advisory lock openDatabase
 * takes): longer than any migration run should take, well under a supervisor's patience.
 */
export const MIGRATION_LOCK_WAIT_MS = 120_000;

/** The advisory lock that serialises the migrations of one schema across processes. */
function migrationLockKey(schema: string): string {
  return `paystream:migrate:${schema}`;
}

export interface DatabaseOptions {
  /** postgres://user@host:port/database: the service's pool (in a deployment, the service's runtime role). */
  url: string;
  /**
   * Where migrations run (in a deployment, the owner role of the service's schema, allowed DDL);
   * url when not given. When its user differs from url's, that user is the runtime role, and after
   * the migrations it loses UPDATE, DELETE and TRUNCATE on the append-only tables and every write to
   * typeorm_migrations (restrictRuntimeRole). Without it, url's role runs the migrations: a role
   * allowed no DDL (a runtime role) can still open an already migrated schema, its migration check
   * only reading typeorm_migrations, and fails on a pending migration.
   */
  migrationUrl?: string;
  /** Postgres schema holding this service's tables; tests give each run its own. */
  schema: string;
  migrations: MixedList<Function>;
  entities?: MixedList<Function>;
  poolSize?: number;
  applicationName?: string;
  /** Per-connection limits; DB_SESSION_TIMEOUTS_DEFAULT when not given. */
  timeouts?: SessionTimeouts;
  /** Opening (or waiting for) a pooled connection; DB_CONNECT_TIMEOUT_MS when not given. */
  connectTimeoutMs?: number;
  /**
   * Told of an error on a pooled connection that no query was waiting for (the server restarted, the
   * connection was cut); the connection is dropped and the next query opens another.
   */
  onConnectionError?: (error: Error) => void;
}

/** Where TypeORM records the migrations that ran (createDataSource's migrationsTableName). */
export const MIGRATIONS_TABLE = 'typeorm_migrations';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A TypeORM DataSource for one service's own database; schema changes only through migrations. */
export function createDataSource(options: DatabaseOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
  const timeouts = options.timeouts ?? DB_SESSION_TIMEOUTS_DEFAULT;
  for (const [name, ms] of Object.entries(timeouts)) {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`invalid ${name} ${JSON.stringify(ms)}: a whole number of milliseconds, 0 for none`);
  }
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMS: options.connectTimeoutMs ?? DB_CONNECT_TIMEOUT_MS,
    extra: {
      // Raw SQL in repositories and migrations resolves unqualified names in the service's schema.
      // The limits go as startup parameters too (always, 0 included: a role's or database's own
      // default must not apply instead), so SHOW and pg_settings on the connection tell them.
      options: [
        `-c search_path=${options.schema},public`,
        `-c statement_timeout=${timeouts.statementMs}`,
        `-c lock_timeout=${timeouts.lockMs}`,
        `-c idle_in_transaction_session_timeout=${timeouts.idleInTransactionMs}`,
      ].join(' '),
      // pg emits 'error' on a checked-out connection the server ends while no query runs on it, and
      // neither pg-pool (idle connections only) nor TypeORM (only until it released the connection)
      // always listens: an unheard 'error' event would end the process. Every connection gets a listener.
      onConnect: (client: EventEmitter) => {
        client.on('error', (error: Error) => options.onConnectionError?.(error));
      },
    },
  });
}

/**
 * Initialises the data source, creating its schema if missing and running pending migrations first,
 * on one connection of their own with migrationTimeouts (no statement limit).
 */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  const migrator = createDataSource({
    ...options,
    url: options.migrationUrl ?? options.url,
    poolSize: 1,
    timeouts: migrationTimeouts(options.timeouts ?? DB_SESSION_TIMEOUTS_DEFAULT),
    applicationName: options.applicationName && `${options.applicationName}-migrate`.slice(0, APPLICATION_NAME_LENGTH_MAX),
  });
  await migrator.initialize();
  try {
    // replicas starting together take turns: one creates the schema and runs the migrations, the others then
    // find them done (without the lock they raced to create typeorm_migrations and to revoke the same grants)
    await migrator.query(`SET lock_timeout = ${MIGRATION_LOCK_WAIT_MS}`);
    await migrator.query(`SELECT pg_advisory_lock(hashtext($1))`, [migrationLockKey(options.schema)]);
    await migrator.query(`SET lock_timeout = ${migrationTimeouts(options.timeouts ?? DB_SESSION_TIMEOUTS_DEFAULT).lockMs}`);
    // only when missing: CREATE SCHEMA needs CREATE on the database even when the schema exists, which a
    // runtime role opening its migrated schema does not have
    const [schemaRow] = (await migrator.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [options.schema])) as unknown[];
    if (schemaRow === undefined) await migrator.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await migrateAsSchemaOwner(migrator, options.schema);
    await migrator.runMigrations({ transaction: 'each' });
    const runtimeRole = userOf(options.url);
    if (options.migrationUrl !== undefined && runtimeRole !== userOf(options.migrationUrl)) {
      await restrictRuntimeRole(migrator, options.schema, runtimeRole);
    }
  } finally {
    // the lock is the migration connection's: it ends with it (an explicit unlock is not needed)
    await migrator.destroy();
  }
  const ds = createDataSource(options);
  await ds.initialize();
  return ds;
}

/**
 * A superuser (the admin CLI, an operator's tool) migrating a schema another role owns (the service's
 * owner role, infra/postgres/setup.sh) does so as that role (SET ROLE on the migration connection), so
 * every table stays the owner's, and the runtime role gets its privileges on it by default.
 */
async function migrateAsSchemaOwner(migrator: DataSource, schema: string): Promise<void> {
  const [row] = (await migrator.query(
    `SELECT pg_get_userbyid(n.nspowner) AS owner, current_user AS me, r.rolsuper AS superuser
       FROM pg_namespace n, pg_roles r WHERE n.nspname = $1 AND r.rolname = current_user`,
    [schema],
  )) as { owner: string; me: string; superuser: boolean }[];
  if (row && row.superuser && row.owner !== row.me && !row.owner.startsWith('pg_') && !(await isSuperuser(migrator, row.owner))) {
    await migrator.query(`SET ROLE ${quoteIdent(row.owner)}`);
  }
}

async function isSuperuser(ds: DataSource, role: string): Promise<boolean> {
  const [row] = (await ds.query(`SELECT rolsuper FROM pg_roles WHERE rolname = $1`, [role])) as { rolsuper: boolean }[];
  return row?.rolsuper === true;
}

function userOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

/**
 * What the runtime role may not do that the owner role's default privileges gave it (infra/postgres/setup.sh):
 * change an append-only table (restrictAppendOnlyTables) or write which migrations ran (restrictMigrationsTable).
 * Runs as the owner after every migration run (idempotent); nothing to do when the role does not exist.
 */
export async function restrictRuntimeRole(ds: DataSource, schema: string, runtimeRole: string): Promise<void> {
  await restrictAppendOnlyTables(ds, schema, runtimeRole);
  await restrictMigrationsTable(ds, schema, runtimeRole);
}

/**
 * Leaves the runtime role only SELECT on typeorm_migrations (a start-up's check of pending migrations
 * reads it) and nothing on its id sequence: a row inserted or deleted there would make a migration
 * count as run, or run it again, under the owner's next start-up.
 */
export async function restrictMigrationsTable(ds: DataSource, schema: string, runtimeRole: string): Promise<void> {
  const [row] = (await ds.query(
    `SELECT format('%I.%I', n.nspname, c.relname) AS "table", pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), 'id') AS sequence
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $3)`,
    [schema, MIGRATIONS_TABLE, runtimeRole],
  )) as { table: string; sequence: string | null }[];
  if (row === undefined) return;
  await ds.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${row.table} FROM ${quoteIdent(runtimeRole)}`);
  if (row.sequence !== null) await ds.query(`REVOKE USAGE, UPDATE ON SEQUENCE ${row.sequence} FROM ${quoteIdent(runtimeRole)}`);
}

/**
 * The trigger functions that refuse a change outright (the ledger's, the audit log's) end in this:
 * a table with a BEFORE UPDATE, DELETE or TRUNCATE trigger calling one is append-only for that change.
 */
export const REFUSE_CHANGE_FUNCTION_SUFFIX = '_refuse_change';

// pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
const TRIGGER_TYPE_PRIVILEGES: readonly [bit: number, privilege: string][] = [
  [1 << 3, 'DELETE'],
  [1 << 4, 'UPDATE'],
  [1 << 5, 'TRUNCATE'],
];

/**
 * Takes from the runtime role the UPDATE, DELETE and TRUNCATE privileges that the schema's
 * append-only tables refuse by trigger (a function ending in REFUSE_CHANGE_FUNCTION_SUFFIX), so the
 * refusal no longer rests on a trigger alone. Runs as the tables' owner after every migration run
 * (idempotent): a table a later migration makes append-only is covered on the next start without a
 * list to keep in step. Nothing to do when the role does not exist (a setup without runtime roles).
 */
export async function restrictAppendOnlyTables(ds: DataSource, schema: string, runtimeRole: string): Promise<void> {
  const [role] = (await ds.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [runtimeRole])) as unknown[];
  if (role === undefined) return;
  const rows = (await ds.query(
    `SELECT c.relname AS table, bit_or(t.tgtype::int) AS events
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE n.nspname = $1 AND NOT t.tgisinternal AND (t.tgtype::int & 2) <> 0 AND p.proname LIKE $2
      GROUP BY c.relname ORDER BY c.relname`,
    [schema, `%${REFUSE_CHANGE_FUNCTION_SUFFIX.replace(/_/g, '\\_')}`],
  )) as { table: string; events: number }[];
  for (const { table, events } of rows) {
    const privileges = TRIGGER_TYPE_PRIVILEGES.filter(([bit]) => (events & bit) !== 0).map(([, privilege]) => privilege);
    if (privileges.length === 0) continue;
    await ds.query(`REVOKE ${privileges.join(', ')} ON ${quoteIdent(schema)}.${quoteIdent(table)} FROM ${quoteIdent(runtimeRole)}`);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Postgres keeps application_name to NAMEDATALEN - 1 bytes. */
const APPLICATION_NAME_LENGTH_MAX = 63;

const committedCallbacks = new WeakMap<EntityManager, (() => void)[]>();

/**
 * Runs fn in one database transaction (READ COMMITTED); guarded updates are the concurrency control.
 * What fn registers with afterCommit runs once the transaction committed, never when it rolled back.
 */
export async function inTransaction<T>(ds: DataSource, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  const callbacks: (() => void)[] = [];
  const result = await ds.transaction(async (tx) => {
    committedCallbacks.set(tx, callbacks);
    return fn(tx);
  });
  for (const callback of callbacks) callback();
  return result;
}

/**
 * Defers a side effect that must not happen for a rolled-back transaction (a metric, say) until tx
 * commits; outside inTransaction (autocommit) it runs at once.
 */
export function afterCommit(tx: EntityManager, callback: () => void): void {
  const callbacks = committedCallbacks.get(tx);
  if (callbacks) callbacks.push(callback);
  else callback();
}

/** The number of rows a raw UPDATE/DELETE touched, for guarded writes checked by row count. */
export function affectedRows(result: unknown): number {
  // TypeORM's postgres driver returns [rows, rowCount] for UPDATE/DELETE through query().
  if (Array.isArray(result) && typeof result[1] === 'number') return result[1];
  throw new Error('cannot read the affected row count from this query result');
}

/** A BIGINT column value (pg returns strings) as a bigint. */
export function toBigInt(value: string | number | bigint): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}
