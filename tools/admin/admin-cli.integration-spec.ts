import { DataSource } from 'typeorm';
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
});
