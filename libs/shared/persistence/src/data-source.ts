import type { EventEmitter } from 'node:events';
import { DataSource, type EntityManager, type MixedList } from 'typeorm';

export type { EntityManager } from 'typeorm';

export interface DatabaseOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Postgres schema holding this service's tables; tests give each run its own. */
  schema: string;
  migrations: MixedList<Function>;
  entities?: MixedList<Function>;
  poolSize?: number;
  applicationName?: string;
  /**
   * Told of an error on a pooled connection that no query was waiting for (the server restarted, the
   * connection was cut); the connection is dropped and the next query opens another.
   */
  onConnectionError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A TypeORM DataSource for one service's own database; schema changes only through migrations. */
export function createDataSource(options: DatabaseOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName,
    poolSize: options.poolSize ?? 10,
    extra: {
      // Raw SQL in repositories and migrations resolves unqualified names in the service's schema.
      options: `-c search_path=${options.schema},public`,
      // pg emits 'error' on a checked-out connection the server ends while no query runs on it, and
      // neither pg-pool (idle connections only) nor TypeORM (only until it released the connection)
      // always listens: an unheard 'error' event would end the process. Every connection gets a listener.
      onConnect: (client: EventEmitter) => {
        client.on('error', (error: Error) => options.onConnectionError?.(error));
      },
    },
  });
}

/** Initialises the data source, creating its schema if missing, and runs pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await ensureSchema(options.url, options.schema);
  const ds = createDataSource(options);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  const bootstrap = new DataSource({ type: 'postgres', url, poolSize: 1 });
  await bootstrap.initialize();
  try {
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await bootstrap.destroy();
  }
}

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
