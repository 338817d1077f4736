import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { DatabaseError } from 'pg';
import { ConnectionIsNotSetError, QueryFailedError } from 'typeorm';
import { isTransientError, PermanentEventError, TRANSIENT_DRIVER_MESSAGES, TRANSIENT_SQLSTATES, transientCause } from './errors';

/** A pg DatabaseError as the driver builds it from the server's ErrorResponse. */
function pgError(code: string, message: string): DatabaseError {
  const e = new DatabaseError(message, message.length, 'error');
  e.code = code;
  e.severity = 'ERROR';
  return e;
}

/** What TypeORM throws for a failed query: the driver's error as driverError, its fields copied. */
const typeorm = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 });

describe('isTransientError', () => {
  const transient: [string, unknown][] = [
    ['pg: database restarting (57P03, starting up)', pgError('57P03', 'the database system is starting up')],
    ['pg: shutting down (57P03) through TypeORM', typeorm(pgError('57P03', 'the database system is shutting down'))],
    ['pg: backend terminated (57P01)', typeorm(pgError('57P01', 'terminating connection due to administrator command'))],
    ['pg: crash shutdown (57P02)', pgError('57P02', 'terminating connection because of crash of another server process')],
    ['pg: connection failure (08006)', pgError('08006', 'connection failure')],
    ['pg: cannot connect (08001)', pgError('08001', 'could not connect')],
    ['pg: too many connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['pg: out of memory (53200)', pgError('53200', 'out of memory')],
    ['pg: serialization failure (40001)', typeorm(pgError('40001', 'could not serialize access due to concurrent update'))],
    ['pg: deadlock (40P01)', typeorm(pgError('40P01', 'deadlock detected'))],
    ['pg: lock not available (55P03)', typeorm(pgError('55P03', 'canceling statement due to lock timeout'))],
    ['pg: statement timeout (57014)', typeorm(pgError('57014', 'canceling statement due to statement timeout'))],
    ['pg: idle in transaction timeout (25P03)', pgError('25P03', 'terminating connection due to idle-in-transaction timeout')],
    ...Object.keys(TRANSIENT_DRIVER_MESSAGES).map((m): [string, unknown] => [`pg message "${m}"`, new Error(m)]),
    ['pg message wrapped by TypeORM', typeorm(new Error('Connection terminated unexpectedly'))],
    ['pg-pool connect timeout with its cause', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') })],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    ['EPIPE', socketError('EPIPE')],
    ['EAI_AGAIN', socketError('EAI_AGAIN')],
    ['AggregateError of refused connects (happy eyeballs), no code of its own', new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], '')],
    ['fetch failed, caused by ECONNREFUSED', new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') })],
    ['TypeORM: no connection set', new ConnectionIsNotSetError('postgres')],
    ['an Error whose cause is a TypeORM-wrapped restart', new Error('booking failed', { cause: typeorm(pgError('57P01', 'terminating connection')) })],
    ['kafkajs connection error', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')],
    ['kafkajs request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')],
    ['kafkajs retriable protocol error', new KafkaJSProtocolError({ message: 'There is no leader for this topic-partition', type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true } as unknown as Error)],
    ['kafkajs retries exhausted on a connection error', new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection timeout'), { retryCount: 5, retryTime: 3000 })],
  ];

  const notTransient: [string, unknown][] = [
    ['pg: unique violation (23505)', typeorm(pgError('23505', 'duplicate key value violates unique constraint'))],
    ['pg: check violation (23514)', typeorm(pgError('23514', 'new row violates check constraint'))],
    ['pg: division by zero (22012)', pgError('22012', 'division by zero')],
    ['pg: undefined table (42P01)', pgError('42P01', 'relation "payment" does not exist')],
    ['pg: invalid text representation (22P02)', typeorm(pgError('22P02', 'invalid input syntax for type uuid'))],
    ['pg: deferred constraint at commit (40002) is not a lost race', pgError('40002', 'transaction integrity constraint violation')],
    ['a plain Error', new Error('payment not found')],
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a message that merely mentions a connection', new Error('Connection terminated unexpectedly while reading merchant 42 (not the driver)')],
    ['PermanentEventError', new PermanentEventError('unknown payment')],
    ['PermanentEventError caused by a restart stays permanent', Object.assign(new PermanentEventError('bad event'), { cause: socketError('ECONNREFUSED') })],
    ['AggregateError of bugs', new AggregateError([new TypeError('x'), new Error('y')])],
    ['kafkajs non-retriable error', new KafkaJSNonRetriableError('Invalid topic')],
    ['kafkajs error marked non-retriable', new KafkaJSError('Message too large', { retriable: false })],
    ['an error that says retriable but is not kafkajs', Object.assign(new Error('do over'), { retriable: true })],
    ['an unknown code', Object.assign(new Error('no'), { code: 'ERR_INVALID_ARG_TYPE' })],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
    ['null', null],
  ];

  it.each(transient)('%s is transient', (_what, error) => {
    expect(isTransientError(error)).toBe(true);
    expect(transientCause(error)).toEqual(expect.any(String));
  });

  it.each(notTransient)('%s is not transient', (_what, error) => {
    expect(isTransientError(error)).toBe(false);
  });

  it('classifies every code of a transient SQLSTATE class and no code of a neighbouring one', () => {
    for (const code of ['08000', '08003', '08004', '08007', '08P01', '53100', '53400']) expect(isTransientError(pgError(code, 'x'))).toBe(true);
    for (const code of ['57000', '55000', '55006', '40000', '09000', '54000']) expect(isTransientError(pgError(code, 'x'))).toBe(false);
    for (const code of Object.keys(TRANSIENT_SQLSTATES).filter((c) => c.length === 5)) expect(isTransientError(pgError(code, 'x'))).toBe(true);
  });

  it('survives cyclic cause chains', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isTransientError(a)).toBe(false);
  });
});
