import type { DataSource } from 'typeorm';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { Actors } from './actor';
import { appendAudit, auditRowsAfter } from './audit-log';
import { AUDIT_LOG_MIGRATIONS } from './audit-log.migration';
import { verifyAuditChain } from './verify-chain';

/**
 * Tampering as a superuser would do it (triggers switched off with session_replication_role =
 * replica) is found by walking the chain: the exact seq of a changed row, a deleted row as a gap.
 */
describe('verifying an audit chain', () => {
  const url = testDatabaseUrl();
  const schemas: string[] = [];
  const opened: DataSource[] = [];

  /** A fresh chain of n rows in a schema of its own. */
  const chain = async (n: number) => {
    const schema = uniqueId('auditv_');
    schemas.push(schema);
    const ds = await openDatabase({ url, schema, migrations: AUDIT_LOG_MIGRATIONS, poolSize: 2 });
    opened.push(ds);
    for (let i = 1; i <= n; i++) {
      await inTransaction(ds, (tx) => appendAudit(tx, { actor: Actors.system('test'), action: 'payout.sent', subject: `settlement:s-${i}`, details: { netMinor: BigInt(i) } }));
    }
    return ds;
  };
  /** Runs SQL with the triggers off, as a superuser tampering would. */
  const tamper = (ds: DataSource, sql: string, params: unknown[] = []) =>
    inTransaction(ds, async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(sql, params);
    });

  afterAll(async () => {
    for (const ds of opened) await ds.destroy();
    await dropSchemas(url, schemas);
  });

  it('tells an intact chain by its length and head hash', async () => {
    const ds = await chain(5);
    const rows = await auditRowsAfter(ds, 0n, 10);
    expect(await verifyAuditChain(ds, 2)).toEqual({ status: 'ok', length: 5n, headHash: rows[4]!.hash });
  });

  it('tells an empty chain as length 0 and a database without the table as missing', async () => {
    const ds = await chain(0);
    expect(await verifyAuditChain(ds)).toMatchObject({ status: 'ok', length: 0n });
    const bare = await openDatabase({ url, schema: uniqueId('auditbare_'), migrations: [], poolSize: 1 });
    schemas.push(bare.driver.schema!);
    opened.push(bare);
    expect(await verifyAuditChain(bare)).toEqual({ status: 'missing' });
  });

  it('reports the exact seq of a row whose details were changed in SQL', async () => {
    const ds = await chain(6);
    await tamper(ds, `UPDATE audit_log SET details = '{"netMinor":"999999"}' WHERE seq = 4`);
    const verdict = await verifyAuditChain(ds, 2);
    expect(verdict).toMatchObject({ status: 'broken', broken: { kind: 'hash', seq: 4n } });
    if (verdict.status === 'broken') expect(verdict.broken.found).not.toBe(verdict.broken.expected);
  });

  it('reports a row whose content and hash were both rewritten at the next link', async () => {
    const ds = await chain(6);
    await tamper(ds, `UPDATE audit_log SET actor = 'operator:mallory', hash = repeat('a', 64) WHERE seq = 3`);
    // the rewritten row's own hash no longer matches its content
    expect(await verifyAuditChain(ds)).toMatchObject({ status: 'broken', broken: { kind: 'hash', seq: 3n, found: 'a'.repeat(64) } });
  });

  it('reports a deleted row as a gap at its seq', async () => {
    const ds = await chain(5);
    await tamper(ds, `DELETE FROM audit_log WHERE seq = 2`);
    expect(await verifyAuditChain(ds)).toMatchObject({ status: 'broken', broken: { kind: 'gap', seq: 2n, expected: 'seq 2', found: 'seq 3' } });
  });

  it('reports rows cut off the end against the head', async () => {
    const ds = await chain(5);
    await tamper(ds, `DELETE FROM audit_log WHERE seq = 5`);
    expect(await verifyAuditChain(ds)).toMatchObject({ status: 'broken', broken: { kind: 'head', seq: 5n } });
  });
});
