import type { DataSource } from 'typeorm';
import { Actors, appendAudit, AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { loadServiceDatabases } from '@paystream/shared/platform';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { VERIFY_EXIT, verifyChains } from './verify-chains';

/** `npm run audit -- verify` over several services' databases: one line each, the first broken link named, the exit code. */
describe('audit verify over every service', () => {
  const url = testDatabaseUrl();
  const schemas = { risk: uniqueId('avrisk_'), settlement: uniqueId('avstl_'), ops: uniqueId('avops_') };
  const opened: DataSource[] = [];

  const chain = async (schema: string, n: number) => {
    const ds = await openDatabase({ url, schema, migrations: AUDIT_LOG_MIGRATIONS, poolSize: 1 });
    opened.push(ds);
    for (let i = 1; i <= n; i++) await inTransaction(ds, (tx) => appendAudit(tx, { actor: Actors.operator('alice'), action: 'terms.changed', subject: `merchant:m-${i}`, details: { i } }));
    return ds;
  };

  beforeAll(async () => {
    await chain(schemas.risk, 3);
    const settlement = await chain(schemas.settlement, 4);
    await inTransaction(settlement, async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(`UPDATE audit_log SET subject = 'merchant:m-999' WHERE seq = 2`);
    });
  });
  afterAll(async () => {
    for (const ds of opened) await ds.destroy();
    await dropSchemas(url, Object.values(schemas));
  });

  it('prints each chain, names the exact seq that was changed in SQL, and exits 1', async () => {
    const lines: string[] = [];
    const code = await verifyChains(
      [
        { service: 'risk', url, schema: schemas.risk },
        { service: 'settlement', url, schema: schemas.settlement },
      ],
      (l) => lines.push(l),
    );
    expect(code).toBe(VERIFY_EXIT.broken);
    expect(lines[0]).toMatch(/^audit-chain: OK risk length=3 head=[0-9a-f]{64}$/);
    expect(lines[1]).toMatch(/^audit-chain: BROKEN settlement seq=2 hash expected=[0-9a-f]{64} found=[0-9a-f]{64}$/);
    expect(lines[2]).toBe('audit-chain: BROKEN services=2 broken=1 unreadable=0');
  });

  it('exits 0 when every chain is whole, and 2 when a database has no chain or cannot be reached', async () => {
    expect(await verifyChains([{ service: 'risk', url, schema: schemas.risk }], () => undefined)).toBe(VERIFY_EXIT.ok);
    const lines: string[] = [];
    const code = await verifyChains(
      [
        { service: 'risk', url, schema: schemas.risk },
        { service: 'ops', url, schema: schemas.ops },
        { service: 'order-payment', url: 'postgres://postgres@127.0.0.1:9/nowhere', schema: schemas.ops },
      ],
      (l) => lines.push(l),
    );
    expect(code).toBe(VERIFY_EXIT.couldNotVerify);
    expect(lines[1]).toMatch(/^audit-chain: MISSING ops /);
    expect(lines[2]).toMatch(/^audit-chain: COULD NOT VERIFY order-payment /);
  });

  it('reads every service database from the variables the services use', () => {
    const dbs = loadServiceDatabases({ DB_SCHEMA: 'chaos_1', RISK_DATABASE_URL: 'postgres://x@h:1/r', PGHOST: 'db' });
    expect(dbs.map((d) => d.service)).toEqual(['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant', 'ops']);
    expect(dbs.find((d) => d.service === 'risk')).toEqual({ service: 'risk', url: 'postgres://x@h:1/r', schema: 'chaos_1' });
    expect(dbs.find((d) => d.service === 'ops')).toEqual({ service: 'ops', url: 'postgres://postgres@db:5432/paystream_ops', schema: 'chaos_1' });
  });
});
