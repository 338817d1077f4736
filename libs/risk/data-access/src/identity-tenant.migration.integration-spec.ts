import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { IdentityKeyRing } from './identity-cipher';
import { RiskIdentityTenant1766000100000 } from './identity-tenant.migration';
import { IdentityRepository } from './identity.repository';
import { RISK_MIGRATIONS } from './risk-tables.migration';

describe('the identity tenant migration over existing identities', () => {
  const schema = uniqueId('risk_idmig_');
  const url = testDatabaseUrl();
  const before = RISK_MIGRATIONS.filter((m) => m !== RiskIdentityTenant1766000100000);
  const repo = new IdentityRepository(new IdentityKeyRing([{ id: 'k1', key: randomBytes(32) }]));
  let ds: DataSource;

  beforeAll(async () => {
    const old = await openDatabase({ url, schema, migrations: before });
    const identity = (userId: string, hash: string) =>
      old.query(
        `INSERT INTO identity (user_id, level, verification, key_id, name_enc, resident_id_enc, phone_enc, bank_card_enc, address_enc, resident_id_hash, card_bin, card_last4, verified_at)
         VALUES ($1, 'full', 'verified', 'k1', 'x', 'x', 'x', 'x', 'x', $2, '622588', '3008', now())`,
        [userId, hash.repeat(64)],
      );
    const decided = (merchantId: string, userId: string) =>
      old.query(`INSERT INTO risk_decision (payment_id, order_id, merchant_id, user_id, amount_minor, currency, decision, score, reasons) VALUES ($1, $2, $3, $4, 100, 'CNY', 'approve', 0, '[]')`, [
        randomUUID(),
        randomUUID(),
        merchantId,
        userId,
      ]);
    // u-1 paid at m-1 (twice) and m-2; u-2 at m-1; u-3 never paid
    await identity('u-1', 'a');
    await identity('u-2', 'b');
    await identity('u-3', 'c');
    await decided('m-1', 'u-1');
    await decided('m-1', 'u-1');
    await decided('m-2', 'u-1');
    await decided('m-1', 'u-2');
    await old.destroy();
    ds = await openDatabase({ url, schema, migrations: RISK_MIGRATIONS });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(url, [schema]);
  });

  it('gives an identity to every merchant that had the user\'s payments assessed; one no merchant used keeps no owner and grants nothing', async () => {
    expect(await ds.query(`SELECT merchant_id, user_id, binding_held FROM identity ORDER BY user_id, merchant_id`)).toEqual([
      { merchant_id: 'm-1', user_id: 'u-1', binding_held: false },
      { merchant_id: 'm-2', user_id: 'u-1', binding_held: false },
      { merchant_id: 'm-1', user_id: 'u-2', binding_held: false },
      { merchant_id: null, user_id: 'u-3', binding_held: false },
    ]);
    expect(await repo.levelOf(ds.manager, 'm-1', 'u-1')).toBe('full');
    expect(await repo.levelOf(ds.manager, 'm-2', 'u-1')).toBe('full');
    expect(await repo.levelOf(ds.manager, 'm-2', 'u-2')).toBe('none');
    expect(await repo.levelOf(ds.manager, 'm-1', 'u-3')).toBe('none');
  });

  it('binds a resident ID to one user per merchant, but any number of held bindings', async () => {
    const insert = (merchantId: string, userId: string, held: boolean) =>
      ds.query(
        `INSERT INTO identity (merchant_id, user_id, level, verification, key_id, name_enc, resident_id_enc, phone_enc, bank_card_enc, address_enc, resident_id_hash, card_bin, card_last4, verified_at, binding_held)
         VALUES ($1, $2, 'full', 'verified', 'k1', 'x', 'x', 'x', 'x', 'x', $3, '622588', '3008', now(), $4)`,
        [merchantId, userId, 'b'.repeat(64), held],
      );
    await expect(insert('m-1', 'u-9', false)).rejects.toThrow(/identity_merchant_resident_id_key/);
    await expect(insert('m-1', 'u-9', true)).resolves.toBeDefined();
    await expect(insert('m-2', 'u-9', false)).resolves.toBeDefined();
    expect(await repo.levelOf(ds.manager, 'm-1', 'u-9')).toBe('none');
    expect(await repo.levelOf(ds.manager, 'm-2', 'u-9')).toBe('full');
  });

  // last: it takes the schema back
  it('rolls back to one identity per user and per resident ID', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new RiskIdentityTenant1766000100000().down(runner);
    } finally {
      await runner.release();
    }
    const rows: { user_id: string; resident_id_hash: string }[] = await ds.query(`SELECT user_id, resident_id_hash FROM identity ORDER BY user_id`);
    expect(new Set(rows.map((r) => r.user_id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.resident_id_hash)).size).toBe(rows.length);
    expect(rows.map((r) => r.user_id)).toEqual(expect.arrayContaining(['u-1', 'u-3']));
  });
});
