/** A failure that retrying cannot fix: the message goes to the dead-letter topic with this reason. */
export class PermanentEventError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentEventError';
  }
}

/*
 * Transient errors: failures of the infrastructure a handler talks to, never of the message itself.
 * A consumer retries them without limit (with capped backoff) instead of dead-lettering: a database
 * restart or a network blip must DELAY a money event, never divert it to a dead-letter topic. The
 * cost of a wrong "transient" is a stuck partition (visible as consumer lag, alerted on); the cost of
 * a wrong "not transient" is a valid payment event dead-lettered. Each entry says which failure it is.
 */

/**
 * SQLSTATE classes (two characters) and codes (five) that say "the database, not the statement":
 * https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
export const TRANSIENT_SQLSTATES: Readonly<Record<string, string>> = {
  '08': 'connection exception (08000, 08003 no connection, 08006 connection failure, 08001/08004 cannot connect / rejected)',
  '53': 'insufficient resources (53100 disk full, 53200 out of memory, 53300 too many connections)',
  '57P01': 'admin shutdown: the backend was terminated (pg_terminate_backend, fast shutdown)',
  '57P02': 'crash shutdown: another backend crashed and the server is resetting',
  '57P03': 'cannot connect now: the database system is starting up / shutting down / in recovery',
  '57P04': 'database dropped while connected (a restore in progress); delaying beats dead-lettering',
  // Decided transient although a statement that is slow every time then holds its partition: the
  // consumer retries it with capped backoff, its lag alerts and the log names 57014. The fix (an index,
  // a larger DB_STATEMENT_TIMEOUT_MS) lets the same event through untouched; a dead-lettered valid
  // money event would need that fix and a replay, and most 57014s are load that passes.
  '57014': 'query canceled: statement_timeout (DB_STATEMENT_TIMEOUT_MS) or pg_cancel_backend, load and not the message',
  '58000': 'system error outside PostgreSQL',
  '58030': 'I/O error on the server',
  '40001': 'serialization failure: the transaction lost a race, running it again is the fix',
  '40P01': 'deadlock detected: one side was rolled back, running it again is the fix',
  '40003': 'statement completion unknown: the connection broke during commit',
  '55P03': 'lock not available (lock_timeout, DB_LOCK_TIMEOUT_MS, or NOWAIT): another transaction holds the row or advisory lock',
  '25P03': 'idle-in-transaction session timeout: the server closed the session',
};

/** Node socket / DNS error codes (and undici's, for handlers calling HTTP services) of a connection that failed. */
export const TRANSIENT_SOCKET_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing listening yet (the database or service is restarting)',
  ECONNRESET: 'the peer closed the connection',
  ECONNABORTED: 'the connection was aborted',
  ETIMEDOUT: 'connect or read timed out',
  EPIPE: 'wrote to a closed connection',
  EHOSTUNREACH: 'host unreachable',
  EHOSTDOWN: 'host down',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  EADDRNOTAVAIL: 'no local address / port available',
  EAI_AGAIN: 'DNS lookup timed out',
  ENOTFOUND: 'DNS name not resolvable yet (a container restarting drops out of DNS)',
  UND_ERR_CONNECT_TIMEOUT: 'undici connect timeout',
  UND_ERR_SOCKET: 'undici socket closed',
};

/**
 * Messages of node-postgres (pg 8) and pg-pool errors that carry no code at all: a connection that
 * broke, timed out or was never there. Matched exactly; they name no statement and no message.
 */
export const TRANSIENT_DRIVER_MESSAGES: Readonly<Record<string, string>> = {
  'Connection terminated unexpectedly': 'pg: the server closed the connection (restart, pg_terminate_backend)',
  'Connection terminated': 'pg: the client was closed while the query ran',
  'Connection terminated due to connection timeout': 'pg-pool: a new connection did not open in connectionTimeoutMillis',
  'timeout exceeded when trying to connect': 'pg-pool: no pooled connection free within connectionTimeoutMillis',
  'timeout expired': 'pg: connect did not complete within connectionTimeoutMillis',
  'Query read timeout': 'pg: query_timeout elapsed without an answer',
  'Client has encountered a connection error and is not queryable': 'pg: a pooled client whose connection broke',
  'Client was closed and is not queryable': 'pg: a pooled client that was closed',
  'Cannot use a pool after calling end on the pool': 'pg-pool: the pool is shutting down with the process',
  'the database system is starting up': 'postgres startup (57P03 without its code)',
  'the database system is shutting down': 'postgres shutdown (57P03 without its code)',
};

/** Error names that stand for a connection state whatever their message (TypeORM, kafkajs). */
export const TRANSIENT_ERROR_NAMES: Readonly<Record<string, string>> = {
  ConnectionIsNotSetError: 'TypeORM: the data source has no connection pool (not connected yet / reconnecting)',
  KafkaJSConnectionError: 'kafkajs: broker connection failed',
  KafkaJSConnectionClosedError: 'kafkajs: broker connection closed',
  KafkaJSRequestTimeoutError: 'kafkajs: broker request timed out',
  KafkaJSNoBrokerAvailableError: 'kafkajs: no broker reachable',
};

/** How deep the cause chain (cause, driverError, originalError, AggregateError.errors) is followed. */
export const ERROR_CAUSE_DEPTH_MAX = 8;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
  driverError?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/**
 * Why an error is transient (the table entry that matched, for logs), or undefined when it is not.
 * Wrappers are looked through: TypeORM's QueryFailedError (driverError), Error.cause chains,
 * kafkajs' originalError / cause, and AggregateError (transient when any attempt it aggregates is,
 * as for a connect tried on several addresses).
 */
export function transientCause(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (candidate: unknown, depth: number): string | undefined => {
    if (typeof candidate !== 'object' || candidate === null || seen.has(candidate) || depth > ERROR_CAUSE_DEPTH_MAX) return undefined;
    seen.add(candidate);
    if (candidate instanceof PermanentEventError) return undefined;
    const e = candidate as ErrorLike;
    const own = ownTransientCause(e);
    if (own) return own;
    const nested = [e.driverError, e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])];
    for (const inner of nested) {
      const found = visit(inner, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return visit(error, 0);
}

/** Whether an error is worth retrying without limit (connections, database restarts, serialization conflicts, deadlocks, lock waits). */
export function isTransientError(error: unknown): boolean {
  return transientCause(error) !== undefined;
}

function ownTransientCause(e: ErrorLike): string | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined) {
    const socket = TRANSIENT_SOCKET_CODES[code];
    if (socket) return `${code}: ${socket}`;
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const sqlstate = TRANSIENT_SQLSTATES[code] ?? TRANSIENT_SQLSTATES[code.slice(0, 2)];
      if (sqlstate) return `SQLSTATE ${code}: ${sqlstate}`;
    }
  }
  const name = typeof e.name === 'string' ? e.name : undefined;
  if (name && TRANSIENT_ERROR_NAMES[name]) return `${name}: ${TRANSIENT_ERROR_NAMES[name]}`;
  // kafkajs errors say themselves whether retrying can help
  if (e.retriable === true && name?.startsWith('KafkaJS')) return `${name}: kafkajs marks it retriable`;
  const message = typeof e.message === 'string' ? e.message : undefined;
  if (message !== undefined && TRANSIENT_DRIVER_MESSAGES[message]) return `"${message}": ${TRANSIENT_DRIVER_MESSAGES[message]}`;
  return undefined;
}
