import { DataSource } from 'typeorm';
import { deriveSecret, secretSha256 } from '@paystream/shared/auth';
import { loadPlatformConfig } from '@paystream/shared/platform';
import { dropSchemas, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { ADMIN_EXIT, adminMain } from './admin-cli';

/** npm run admin -- merchant ...: on the merchant database directly, the merchant, its outbox row and its audit row in one transaction. */
describe('admin CLI: merchant onboarding', () => {
  const schema = uniqueId('madm_');
  const config = loadPlatformConfig('merchant', testServiceEnv('MERCHANT', { schema, topicPrefix: uniqueTopicPrefix('madm') }));
  let db: DataSource;

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await adminMain(argv, config, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };
  const onboardArgs = (merchantId: string, accountNo = '6222020000000000001') => [
    'merchant', 'onboard', '--merchant-id', merchantId, '--legal-name', 'Tea House Ltd', '--contact-name', 'Li Wei', '--contact-email', 'li@teahouse.example',
    '--schedule', 't_plus_n', '--n-days', '2', '--cutoff', '18:00', '--fee-bps', '60', '--bank-code', '102100099996', '--account-no', accountNo, '--account-name', 'Tea House Ltd',
  ];

  beforeAll(async () => {
    db = new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 1, extra: { options: `-c search_path=${schema}` } });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('onboards a merchant with its event and audit row, and a second run of the same command replays it', async () => {
    const first = await run(...onboardArgs('m-cli'));
    expect(first.code).toBe(ADMIN_EXIT.ok);
    expect(JSON.parse(first.out[0]!)).toMatchObject({ merchantId: 'm-cli', version: 1, status: 'active', replayed: false, terms: { schedule: 't_plus_n', nDays: 2, cutoffTime: '18:00' } });
    const again = await run(...onboardArgs('m-cli'));
    expect([again.code, JSON.parse(again.out[0]!).replayed]).toEqual([ADMIN_EXIT.ok, true]);

    expect(await db.query(`SELECT merchant_id, version, payout_account_no FROM merchant`)).toEqual([{ merchant_id: 'm-cli', version: 1, payout_account_no: '6222020000000000001' }]);
    const outbox = await db.query(`SELECT topic, key FROM outbox_event`);
    expect(outbox).toEqual([{ topic: 'merchant.registered.v1', key: 'm-cli' }]);
    expect(await db.query(`SELECT actor, action, subject FROM audit_log ORDER BY seq`)).toEqual([{ actor: 'system:setup', action: 'merchant.registered', subject: 'merchant:m-cli' }]);
  });

  it('names the operator given, and refuses an invalid account with its stable code (changing nothing)', async () => {
    expect((await run(...onboardArgs('m-cli-op'), '--operator', 'alice')).code).toBe(ADMIN_EXIT.ok);
    expect(await db.query(`SELECT actor FROM audit_log WHERE subject = 'merchant:m-cli-op'`)).toEqual([{ actor: 'operator:alice' }]);
    const bad = await run(...onboardArgs('m-cli-bad', '12345'));
    expect(bad.code).toBe(ADMIN_EXIT.refused);
    expect(bad.err[0]).toMatch(/^admin: REFUSED MERCHANT_PAYOUT_ACCOUNT_INVALID .*accountNo/);
    expect(await db.query(`SELECT 1 FROM merchant WHERE merchant_id = 'm-cli-bad'`)).toEqual([]);
  });

  it('prints usage for an unknown command', async () => {
    const res = await run('merchant', 'teleport');
    expect(res.code).toBe(ADMIN_EXIT.usage);
    expect(res.err[0]).toMatch(/^usage: npm run admin/);
  });

  it('creates an operator whose token is printed once and stored only as a hash, and revokes it with an event each', async () => {
    const created = await run('operator', 'create', '--id', 'alice', '--roles', 'finance,risk');
    expect(created.code).toBe(ADMIN_EXIT.ok);
    const { credentialId, token } = JSON.parse(created.out[0]!) as { credentialId: string; token: string };
    expect(credentialId).toMatch(/^op_[0-9A-Za-z]{22}$/);
    const secret = token.slice(credentialId.length + 1);
    expect(token).toBe(`${credentialId}.${deriveSecret(config.credentialPepper, credentialId)}`);
    const [row] = await db.query(`SELECT * FROM credential WHERE credential_id = $1`, [credentialId]);
    expect(row).toMatchObject({ kind: 'operator-token', principal_id: 'alice', roles: ['finance', 'risk'], secret_sha256: secretSha256(secret), revoked_at: null });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await run('operator', 'create', '--id', 'eve', '--roles', 'root')).code).toBe(ADMIN_EXIT.usage);

    expect((await run('operator', 'revoke', '--id', 'alice')).code).toBe(ADMIN_EXIT.ok);
    expect((await db.query(`SELECT revoked_at FROM credential WHERE credential_id = $1`, [credentialId]))[0].revoked_at).not.toBeNull();
    expect(await db.query(`SELECT topic, key FROM outbox_event WHERE key = 'alice' ORDER BY seq`)).toEqual([
      { topic: 'credential.issued.v1', key: 'alice' },
      { topic: 'credential.revoked.v1', key: 'alice' },
    ]);
    expect((await db.query(`SELECT action FROM audit_log WHERE subject IN ('operator:alice', $1) ORDER BY seq`, [`credential:${credentialId}`])).map((r: { action: string }) => r.action)).toEqual([
      'operator.created',
      'credential.issued',
      'operator.disabled',
      'credential.revoked',
    ]);
  });

  it('onboards with --with-key once, rotates the key with an overlap and revokes it', async () => {
    const first = await run(...onboardArgs('m-keyed'), '--with-key', '--mode', 'test');
    expect(first.code).toBe(ADMIN_EXIT.ok);
    const { key } = JSON.parse(first.out[0]!) as { key: { keyId: string; secret: string; mode: string } };
    expect(key).toMatchObject({ keyId: expect.stringMatching(/^pk_test_/), mode: 'test', secret: deriveSecret(config.credentialPepper, key.keyId) });
    expect(JSON.parse((await run(...onboardArgs('m-keyed'), '--with-key', '--mode', 'test')).out[0]!)).not.toHaveProperty('key'); // replayed: no second key

    const rotated = await run('key', 'rotate', '--key', key.keyId, '--overlap', '2h');
    expect(rotated.code).toBe(ADMIN_EXIT.ok);
    const r = JSON.parse(rotated.out[0]!) as { keyId: string; previous: { expiresAt: string } };
    expect(Math.abs(new Date(r.previous.expiresAt).getTime() - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);
    expect((await db.query(`SELECT count(*)::int AS n FROM credential WHERE principal_id = 'm-keyed' AND revoked_at IS NULL`))[0].n).toBe(2);
    expect((await run('key', 'revoke', '--key', r.keyId)).code).toBe(ADMIN_EXIT.ok);
    const unknown = await run('key', 'revoke', '--key', 'pk_live_0000000000000000000000');
    expect([unknown.code, unknown.err[0]]).toEqual([ADMIN_EXIT.refused, expect.stringMatching(/REFUSED RESOURCE_NOT_FOUND/)]);
    expect((await run('key', 'create', '--merchant', 'm-nobody', '--mode', 'live')).err[0]).toMatch(/REFUSED MERCHANT_NOT_FOUND/);
  });
});
