import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { auditRowsAbout } from '@paystream/shared/audit-log';
import { authorizationFor, deriveSecret, parsePepper, type ClientCredential } from '@paystream/shared/auth';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, TEST_CREDENTIAL_PEPPER, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadMerchantConfig } from './config';

/**
 * Credentials over HTTP (issue 14 leftovers): every write takes an Idempotency-Key, its caller's own;
 * the same key and body answer the first credential again (its secret derived again, never kept with
 * the key), another body is refused, and a body naming its actor is refused.
 */
describe('merchant credentials API: keyed writes', () => {
  const schema = uniqueId('mcred_');
  let app: NestFastifyApplication;
  let ds: DataSource;
  let creds: TestCredentials;
  const pepper = parsePepper(TEST_CREDENTIAL_PEPPER);

  const call = async (as: ClientCredential, url: string, body: unknown, key: string | null) => {
    const payload = JSON.stringify(body);
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', authorization: authorizationFor(as, 'POST', url, payload), ...(key === null ? {} : { 'idempotency-key': key }) },
      payload,
    });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] };
  };
  const rows = async (sql: string, params: unknown[] = []) => ((await ds.query(sql, params)) as { n: number }[])[0]!.n;

  beforeAll(async () => {
    app = await startInProcessApp(AppModule.forRoot(loadMerchantConfig(await testServiceEnv('MERCHANT', { schema, topicPrefix: uniqueTopicPrefix('mcred') }))));
    ds = app.get(Platform, { strict: false }).ds;
    creds = authenticateInjects(app, ds);
    const onboarded = await app.inject({
      method: 'POST',
      url: '/merchants',
      headers: { 'idempotency-key': 'onboard-m-keys' },
      payload: {
        merchantId: 'm-keys',
        legalName: 'Keys Ltd',
        contact: { name: 'Li Wei', email: 'finance@keys.example' },
        terms: { schedule: 'realtime', feePlan: { rateBps: 60 }, payoutAccount: { bankCode: '102100099996', accountNo: '6222020000000000001', accountName: 'Keys Ltd' } },
      },
    });
    expect(onboarded.statusCode).toBe(201);
  });

  afterAll(async () => {
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('issues a merchant key once per admin and Idempotency-Key: a retry answers the same key and secret, and the secret is not kept', async () => {
    const admin = await creds.operator('admin.li', ['admin']);
    expect((await call(admin, '/merchants/m-keys/keys', { mode: 'live' }, null)).body.error.code).toBe('IDEMPOTENCY_KEY_MISSING');
    const first = await call(admin, '/merchants/m-keys/keys', { mode: 'live' }, 'key-1');
    expect(first).toMatchObject({ status: 201, body: { credentialId: expect.stringMatching(/^pk_live_/), kind: 'merchant-api-key', principalId: 'm-keys', mode: 'live' } });
    expect(first.body.secret).toBe(deriveSecret(pepper, first.body.credentialId));
    const again = await call(admin, '/merchants/m-keys/keys', { mode: 'live' }, 'key-1');
    expect(again).toEqual({ status: 201, body: first.body, replayed: 'true' });
    expect(await rows(`SELECT count(*)::int AS n FROM credential WHERE kind = 'merchant-api-key' AND principal_id = 'm-keys'`)).toBe(1);
    expect(JSON.stringify(await ds.query(`SELECT response FROM idempotent_request WHERE idempotency_key = 'key-1'`))).not.toContain(first.body.secret);
    expect((await call(admin, '/merchants/m-keys/keys', { mode: 'test' }, 'key-1')).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // another admin's key-1 is a key of its own
    const other = await call(await creds.operator('admin.wang', ['admin']), '/merchants/m-keys/keys', { mode: 'live' }, 'key-1');
    expect(other).toMatchObject({ status: 201, replayed: undefined });
    expect(other.body.credentialId).not.toBe(first.body.credentialId);
    expect((await auditRowsAbout(ds, `credential:${first.body.credentialId}`)).map((r) => [r.actor, r.action])).toEqual([['operator:admin.li', 'credential.issued']]);
  });

  it('keys a merchant\'s own rotation and revocation by the merchant: replayed, never done twice', async () => {
    const merchant = await creds.merchant('m-keys');
    const key = (await call(await creds.operator('admin.li', ['admin']), '/merchants/m-keys/keys', { mode: 'live' }, 'key-for-rotation')).body.credentialId as string;
    const rotated = await call(merchant, `/merchants/m-keys/keys/${key}/rotate`, { overlapMs: 60_000 }, 'rot-1');
    expect(rotated).toMatchObject({ status: 201, body: { issued: { credentialId: expect.stringMatching(/^pk_live_/), secret: expect.any(String) }, old: { credentialId: key } } });
    const again = await call(merchant, `/merchants/m-keys/keys/${key}/rotate`, { overlapMs: 60_000 }, 'rot-1');
    expect(again).toEqual({ ...rotated, replayed: 'true' });
    expect((await auditRowsAbout(ds, `credential:${key}`)).map((r) => [r.actor, r.action])).toEqual([
      ['operator:admin.li', 'credential.issued'],
      ['merchant:m-keys', 'credential.rotated'],
    ]);
    const revoked = await call(merchant, `/merchants/m-keys/keys/${rotated.body.issued.credentialId}/revoke`, {}, 'rev-1');
    expect(revoked).toMatchObject({ status: 200, body: { credentialId: rotated.body.issued.credentialId, revoked: true } });
    expect(await call(merchant, `/merchants/m-keys/keys/${rotated.body.issued.credentialId}/revoke`, {}, 'rev-1')).toEqual({ ...revoked, replayed: 'true' });
    expect(await rows(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'credential.revoked' AND subject = $1`, [`credential:${rotated.body.issued.credentialId}`])).toBe(1);
  });

  it('creates an operator once per Idempotency-Key (the same token again), and revokes once', async () => {
    const admin = await creds.operator('admin.li', ['admin']);
    const created = await call(admin, '/operators', { operatorId: 'finance.zhao', roles: ['finance'] }, 'op-1');
    expect(created).toMatchObject({ status: 201, body: { principalId: 'finance.zhao', roles: ['finance'], token: expect.stringMatching(/^op_/) } });
    expect(await call(admin, '/operators', { operatorId: 'finance.zhao', roles: ['finance'] }, 'op-1')).toEqual({ ...created, replayed: 'true' });
    expect((await call(admin, '/operators', { operatorId: 'finance.zhao', roles: ['finance', 'risk'] }, 'op-1')).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await rows(`SELECT count(*)::int AS n FROM credential WHERE kind = 'operator-token' AND principal_id = 'finance.zhao'`)).toBe(1);
    const revoked = await call(admin, '/operators/finance.zhao/revoke', {}, 'op-rev-1');
    expect(revoked).toMatchObject({ status: 200, body: { operatorId: 'finance.zhao', revoked: [created.body.credentialId] } });
    expect(await call(admin, '/operators/finance.zhao/revoke', {}, 'op-rev-1')).toEqual({ ...revoked, replayed: 'true' });
  });

  it('refuses a body naming its actor, issuing nothing: the actor is the caller', async () => {
    const admin = await creds.operator('admin.li', ['admin']);
    const before = await rows(`SELECT count(*)::int AS n FROM credential`);
    const claimed = await call(admin, '/operators', { operatorId: 'risk.qian', roles: ['risk'], createdBy: 'admin.wang' }, 'op-claim');
    expect(claimed).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', field: 'createdBy' } } });
    expect((await call(admin, '/merchants/m-keys/keys', { mode: 'live', by: 'admin.wang' }, 'key-claim')).body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'by' });
    expect(await rows(`SELECT count(*)::int AS n FROM credential`)).toBe(before);
  });
});
