import type { DataSource } from 'typeorm';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { Actors } from './actor';
import { AUDIT_GENESIS_HASH, type AuditEntry } from './audit-entry';
import { appendAudit, auditRowsAfter } from './audit-log';
import { AUDIT_LOG_MIGRATIONS } from './audit-log.migration';
import { verifyAuditChain } from './verify-chain';

/** The audit chain on the real Postgres: in the caller's transaction, one chain across replicas, append-only. */
describe('audit log on the real database', () => {
  const schema = uniqueId('audit_');
  const url = testDatabaseUrl();
  // two pools: two replicas of one service appending to its chain
  let a: DataSource;
  let b: DataSource;
  const open = () => openDatabase({ url, schema, migrations: AUDIT_LOG_MIGRATIONS, poolSize: 5 });
  const entry = (n: number): AuditEntry => ({ actor: Actors.operator('alice'), action: 'terms.changed', subject: `merchant:m-${n}`, details: { n, amountMinor: BigInt(n) * 100n } });
  const count = async () => ((await a.query(`SELECT count(*)::int AS n FROM audit_log`)) as { n: number }[])[0]!.n;

  beforeAll(async () => {
    a = await open();
    b = await open();
    await a.query(`CREATE TABLE thing (id TEXT PRIMARY KEY)`);
  });
  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
    await dropSchemas(url, [schema]);
  });

  it('commits the row with the change, linked to the genesis hash first', async () => {
    await inTransaction(a, async (tx) => {
      await tx.query(`INSERT INTO thing (id) VALUES ('one')`);
      await appendAudit(tx, entry(1));
    });
    const [row] = await auditRowsAfter(a, 0n, 10);
    expect(row).toMatchObject({ seq: 1n, actor: 'operator:alice', action: 'terms.changed', subject: 'merchant:m-1', details: { n: 1, amountMinor: '100' }, prevHash: AUDIT_GENESIS_HASH });
    expect(await verifyAuditChain(a)).toEqual({ status: 'ok', length: 1n, headHash: row!.hash });
  });

  it('leaves neither the change, the row nor a gap when the transaction rolls back', async () => {
    const before = await count();
    await expect(
      inTransaction(a, async (tx) => {
        await tx.query(`INSERT INTO thing (id) VALUES ('two')`);
        await appendAudit(tx, entry(2));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await count()).toBe(before);
    expect(await a.query(`SELECT 1 FROM thing WHERE id = 'two'`)).toEqual([]);
    await inTransaction(a, (tx) => appendAudit(tx, entry(3)));
    const rows = await auditRowsAfter(a, 0n, 100);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => BigInt(i + 1)));
    expect(await verifyAuditChain(a)).toMatchObject({ status: 'ok', length: BigInt(before + 1) });
  });

  it('refuses to append outside a transaction (the head lock would not hold)', async () => {
    await expect(appendAudit(a.manager, entry(4))).rejects.toThrow('in the transaction of the change');
  });

  it('forms one unbroken chain from 50 concurrent appends over two pools', async () => {
    const before = await count();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        inTransaction(i % 2 === 0 ? a : b, async (tx) => {
          await tx.query(`INSERT INTO thing (id) VALUES ($1)`, [`c${i}`]);
          await appendAudit(tx, entry(100 + i));
        }),
      ),
    );
    const rows = await auditRowsAfter(a, 0n, 1_000);
    expect(rows).toHaveLength(before + 50);
    rows.forEach((r, i) => {
      expect(r.seq).toBe(BigInt(i + 1));
      expect(r.prevHash).toBe(i === 0 ? AUDIT_GENESIS_HASH : rows[i - 1]!.hash);
    });
    expect(new Set(rows.map((r) => r.subject)).size).toBe(rows.length);
    expect(await verifyAuditChain(b)).toEqual({ status: 'ok', length: BigInt(rows.length), headHash: rows.at(-1)!.hash });
  });

  it.each([
    ['UPDATE', `UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = 1`],
    ['DELETE', `DELETE FROM audit_log WHERE seq = 1`],
    ['TRUNCATE', `TRUNCATE audit_log`],
    ['DELETE of the head', `DELETE FROM audit_log_head`],
  ])('refuses %s in the database', async (_name, sql) => {
    await expect(a.query(sql)).rejects.toThrow('AUDIT_LOG_APPEND_ONLY');
    expect(await verifyAuditChain(a)).toMatchObject({ status: 'ok' });
  });

  it('refuses a row or a head move that does not extend the chain (a fork)', async () => {
    const [last] = (await a.query(`SELECT seq, hash FROM audit_log_head`)) as { seq: string; hash: string }[];
    await expect(
      a.query(`INSERT INTO audit_log (seq, occurred_at, actor, action, subject, details, prev_hash, hash) VALUES ($1, now(), 'operator:x', 'terms.changed', 'merchant:x', '{}', $2, $3)`, [
        last!.seq,
        AUDIT_GENESIS_HASH,
        'f'.repeat(64),
      ]),
    ).rejects.toThrow('AUDIT_LOG_FORK');
    await expect(a.query(`UPDATE audit_log_head SET seq = seq + 1, hash = $1`, ['e'.repeat(64)])).rejects.toThrow('AUDIT_LOG_FORK');
  });
});
