import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { deriveSecret, OPERATOR_TOKEN_ENV, secretSha256 } from '@paystream/shared/auth';
import { loadPlatformConfig } from '@paystream/shared/platform';
import { dropSchemas, ScratchDatabaseRoles, testDatabaseUrl, testServiceEnvWithoutAcls, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { ADMIN_EXIT, adminMain } from './admin-cli';

type Run = { code: number; out: string[]; err: string[] };

/** A CLI bound to a fresh merchant database schema; `env` is the CLI's environment (PAYSTREAM_OPERATOR_TOKEN), none unless given. */
function adminOnFreshSchema(label: string) {
  const schema = uniqueId(label);
  const config = loadPlatformConfig('merchant', testServiceEnvWithoutAcls('MERCHANT', { schema, topicPrefix: uniqueTopicPrefix(label) }));
  const run = async (argv: string[], env: Record<string, string> = {}): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await adminMain(argv, config, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
    return { code, out, err };
  };
  return { schema, config, run };
}

/** A token file as setup keeps one (.run/admin-token). */
function tokenFile(token: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'admin-token-')), 'token');
  writeFileSync(file, `${token}\n`);
  return file;
}

const asToken = (token: string) => ({ [OPERATOR_TOKEN_ENV]: token });
const tokenOf = (r: Run) => (JSON.parse(r.out[0]!) as { token: string }).token;

/** npm run admin -- merchant ...: on the merchant database directly, the merchant, its outbox row and its audit row in one transaction, as the operator whose token is presented. */
describe('admin CLI: merchant onboarding and credentials, as an authenticated operator', () => {
  const { schema, config, run } = adminOnFreshSchema('madm_');
  let db: DataSource;
  let rootToken: string;
  let financeToken: string;
  let bothToken: string;

  const onboardArgs = (merchantId: string, accountNo = '6222020000000000001') => [
    'merchant', 'onboard', '--merchant-id', merchantId, '--legal-name', 'Tea House Ltd', '--contact-name', 'Li Wei', '--contact-email', 'li@teahouse.example',
    '--schedule', 't_plus_n', '--n-days', '2', '--cutoff', '18:00', '--fee-bps', '60', '--bank-code', '102100099996', '--account-no', accountNo, '--account-name', 'Tea House Ltd',
  ];

  beforeAll(async () => {
    // the bootstrap, as scripts/setup.sh does it: the first admin without a token, every other operator by that admin
    rootToken = tokenOf(await run(['operator', 'create', '--id', 'root', '--roles', 'admin']));
    financeToken = tokenOf(await run(['operator', 'create', '--id', 'fin', '--roles', 'finance', '--token-file', tokenFile(rootToken)]));
    bothToken = tokenOf(await run(['operator', 'create', '--id', 'both', '--roles', 'finance,admin'], asToken(rootToken)));
    db = new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 1, extra: { options: `-c search_path=${schema}` } });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('onboards a merchant as the finance operator of the token, with its event and audit row, and a second run of the same command replays it', async () => {
    const first = await run(onboardArgs('m-cli'), asToken(financeToken));
    expect(first.code).toBe(ADMIN_EXIT.ok);
    expect(JSON.parse(first.out[0]!)).toMatchObject({ merchantId: 'm-cli', version: 1, status: 'active', replayed: false, terms: { schedule: 't_plus_n', nDays: 2, cutoffTime: '18:00' } });
    const again = await run([...onboardArgs('m-cli'), '--token-file', tokenFile(financeToken)]);
    expect([again.code, JSON.parse(again.out[0]!).replayed]).toEqual([ADMIN_EXIT.ok, true]);

    expect(await db.query(`SELECT merchant_id, version, payout_account_no FROM merchant`)).toEqual([{ merchant_id: 'm-cli', version: 1, payout_account_no: '6222020000000000001' }]);
    const outbox = await db.query(`SELECT topic, key FROM outbox_event WHERE key = 'm-cli'`);
    expect(outbox).toEqual([{ topic: 'merchant.registered.v1', key: 'm-cli' }]);
    expect(await db.query(`SELECT actor, action, subject FROM audit_log WHERE subject = 'merchant:m-cli' ORDER BY seq`)).toEqual([{ actor: 'operator:fin', action: 'merchant.registered', subject: 'merchant:m-cli' }]);
  });

  it('refuses a typed operator name without its token, and a change without a token, as usage errors that change nothing', async () => {
    const named = await run([...onboardArgs('m-typed'), '--operator', 'alice']);
    expect(named.code).toBe(ADMIN_EXIT.usage);
    expect(named.err[0]).toMatch(/^admin: --operator alice needs that operator's token .*--token-file FILE or PAYSTREAM_OPERATOR_TOKEN/);
    const anonymous = await run(onboardArgs('m-typed'));
    expect(anonymous.code).toBe(ADMIN_EXIT.usage);
    expect(anonymous.err[0]).toMatch(/^admin: merchant onboard needs the token of an operator with the finance role/);
    for (const argv of [
      ['key', 'create', '--merchant', 'm-cli', '--mode', 'live'],
      ['key', 'revoke', '--key', 'pk_live_0000000000000000000000'],
      ['operator', 'revoke', '--id', 'fin'],
      ['operator', 'create', '--id', 'eve', '--roles', 'finance'],
      ['service-token', 'create', '--service', 'monitoring'],
    ]) {
      const res = await run(argv);
      expect([argv.slice(0, 2).join(' '), res.code, res.err[0]]).toEqual([argv.slice(0, 2).join(' '), ADMIN_EXIT.usage, expect.stringMatching(/needs the token of an operator with the admin role/)]);
    }
    expect(await db.query(`SELECT merchant_id FROM merchant WHERE merchant_id = 'm-typed'`)).toEqual([]);
    expect(await db.query(`SELECT actor FROM audit_log WHERE actor NOT IN ('system:setup', 'operator:root')`)).toEqual([{ actor: 'operator:fin' }]);
  });

  it('refuses a token that is not a usable operator token with the role the change needs (exit 3, nothing changed)', async () => {
    const refused = async (argv: string[], token: string) => {
      const res = await run(argv, asToken(token));
      return [res.code, res.err[0]?.match(/^admin: REFUSED (\S+)/)?.[1]];
    };
    expect(await refused(onboardArgs('m-refused'), rootToken)).toEqual([ADMIN_EXIT.tokenRefused, 'AUTH_FORBIDDEN']); // an admin is not finance
    expect(await refused([...onboardArgs('m-refused'), '--with-key'], financeToken)).toEqual([ADMIN_EXIT.tokenRefused, 'AUTH_FORBIDDEN']); // the key needs admin too
    expect(await refused(['key', 'create', '--merchant', 'm-cli', '--mode', 'live'], financeToken)).toEqual([ADMIN_EXIT.tokenRefused, 'AUTH_FORBIDDEN']);
    expect(await refused(onboardArgs('m-refused'), 'fin')).toEqual([ADMIN_EXIT.tokenRefused, 'AUTH_MALFORMED']);
    expect(await refused(onboardArgs('m-refused'), `${financeToken.split('.')[0]}.${'x'.repeat(43)}`)).toEqual([ADMIN_EXIT.tokenRefused, 'AUTH_SIGNATURE_INVALID']);
    // a name typed next to the token must be the token's operator
    expect(await refused([...onboardArgs('m-refused'), '--operator', 'alice'], financeToken)).toEqual([ADMIN_EXIT.tokenRefused, 'AUTH_FORBIDDEN']);
    expect(await db.query(`SELECT merchant_id FROM merchant WHERE merchant_id = 'm-refused'`)).toEqual([]);
    expect((await run([...onboardArgs('m-named'), '--operator', 'fin'], asToken(financeToken))).code).toBe(ADMIN_EXIT.ok);
  });

  it('refuses an invalid account with its stable code (changing nothing)', async () => {
    const bad = await run(onboardArgs('m-cli-bad', '12345'), asToken(financeToken));
    expect(bad.code).toBe(ADMIN_EXIT.refused);
    expect(bad.err[0]).toMatch(/^admin: REFUSED MERCHANT_PAYOUT_ACCOUNT_INVALID .*accountNo/);
    expect(await db.query(`SELECT 1 FROM merchant WHERE merchant_id = 'm-cli-bad'`)).toEqual([]);
  });

  it('prints usage for an unknown command', async () => {
    const res = await run(['merchant', 'teleport']);
    expect(res.code).toBe(ADMIN_EXIT.usage);
    expect(res.err[0]).toMatch(/^usage: npm run admin/);
  });

  it('creates an operator whose token is printed once and stored only as a hash, and revokes it with an event each, as the admin of the token', async () => {
    const created = await run(['operator', 'create', '--id', 'alice', '--roles', 'finance,risk'], asToken(rootToken));
    expect(created.code).toBe(ADMIN_EXIT.ok);
    const { credentialId, token } = JSON.parse(created.out[0]!) as { credentialId: string; token: string };
    expect(credentialId).toMatch(/^op_[0-9A-Za-z]{22}$/);
    const secret = token.slice(credentialId.length + 1);
    expect(token).toBe(`${credentialId}.${deriveSecret(config.credentialPepper, credentialId)}`);
    const [row] = await db.query(`SELECT * FROM credential WHERE credential_id = $1`, [credentialId]);
    expect(row).toMatchObject({ kind: 'operator-token', principal_id: 'alice', roles: ['finance', 'risk'], secret_sha256: secretSha256(secret), revoked_at: null, issued_by: 'operator:root' });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await run(['operator', 'create', '--id', 'eve', '--roles', 'root'], asToken(rootToken))).code).toBe(ADMIN_EXIT.usage);

    expect((await run(['operator', 'revoke', '--id', 'alice'], asToken(rootToken))).code).toBe(ADMIN_EXIT.ok);
    expect((await db.query(`SELECT revoked_at FROM credential WHERE credential_id = $1`, [credentialId]))[0].revoked_at).not.toBeNull();
    expect(await db.query(`SELECT topic, key FROM outbox_event WHERE key = 'alice' ORDER BY seq`)).toEqual([
      { topic: 'credential.issued.v1', key: 'alice' },
      { topic: 'credential.revoked.v1', key: 'alice' },
    ]);
    expect(await db.query(`SELECT actor, action FROM audit_log WHERE subject IN ('operator:alice', $1) ORDER BY seq`, [`credential:${credentialId}`])).toEqual(
      ['operator.created', 'credential.issued', 'operator.disabled', 'credential.revoked'].map((action) => ({ actor: 'operator:root', action })),
    );
    // a revoked operator's token acts no more
    const revoked = await run(onboardArgs('m-alice'), asToken(token));
    expect([revoked.code, revoked.err[0]]).toEqual([ADMIN_EXIT.tokenRefused, expect.stringMatching(/^admin: REFUSED AUTH_KEY_REVOKED/)]);
  });

  it('onboards with --with-key once (finance and admin), rotates the key with an overlap and revokes it', async () => {
    const first = await run([...onboardArgs('m-keyed'), '--with-key', '--mode', 'test'], asToken(bothToken));
    expect(first.code).toBe(ADMIN_EXIT.ok);
    const { key } = JSON.parse(first.out[0]!) as { key: { keyId: string; secret: string; mode: string } };
    expect(key).toMatchObject({ keyId: expect.stringMatching(/^pk_test_/), mode: 'test', secret: deriveSecret(config.credentialPepper, key.keyId) });
    expect(JSON.parse((await run([...onboardArgs('m-keyed'), '--with-key', '--mode', 'test'], asToken(bothToken))).out[0]!)).not.toHaveProperty('key'); // replayed: no second key
    expect(await db.query(`SELECT issued_by FROM credential WHERE credential_id = $1`, [key.keyId])).toEqual([{ issued_by: 'operator:both' }]);

    const rotated = await run(['key', 'rotate', '--key', key.keyId, '--overlap', '2h'], asToken(rootToken));
    expect(rotated.code).toBe(ADMIN_EXIT.ok);
    const r = JSON.parse(rotated.out[0]!) as { keyId: string; previous: { expiresAt: string } };
    expect(Math.abs(new Date(r.previous.expiresAt).getTime() - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);
    expect((await db.query(`SELECT count(*)::int AS n FROM credential WHERE principal_id = 'm-keyed' AND revoked_at IS NULL`))[0].n).toBe(2);
    expect((await run(['key', 'revoke', '--key', r.keyId], asToken(rootToken))).code).toBe(ADMIN_EXIT.ok);
    const unknown = await run(['key', 'revoke', '--key', 'pk_live_0000000000000000000000'], asToken(rootToken));
    expect([unknown.code, unknown.err[0]]).toEqual([ADMIN_EXIT.refused, expect.stringMatching(/REFUSED RESOURCE_NOT_FOUND/)]);
    expect((await run(['key', 'create', '--merchant', 'm-nobody', '--mode', 'live'], asToken(rootToken))).err[0]).toMatch(/REFUSED MERCHANT_NOT_FOUND/);
  });
});

/** Without a token the CLI acts as system:setup for one thing only: the first admin operator, while the registry has no usable admin token. */
describe('admin CLI: the setup bootstrap', () => {
  const { schema, run } = adminOnFreshSchema('mboot_');
  let db: DataSource;

  beforeAll(async () => {
    db = new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 1, extra: { options: `-c search_path=${schema}` } });
  });

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('creates the first admin as system:setup (one of two racing), then nothing more without a token; every admin token revoked opens it again', async () => {
    const notAdmin = await run(['operator', 'create', '--id', 'ops', '--roles', 'finance']);
    expect([notAdmin.code, notAdmin.err[0]]).toEqual([ADMIN_EXIT.usage, expect.stringMatching(/the first admin operator is created without one: .*--roles admin/)]);

    expect((await run(['merchant', 'list'])).code).toBe(ADMIN_EXIT.ok); // the schema migrated, so the racers race for the admin only
    const racing = await Promise.all([run(['operator', 'create', '--id', 'root-a', '--roles', 'admin']), run(['operator', 'create', '--id', 'root-b', '--roles', 'admin,finance'])]);
    expect(racing.map((r) => r.code).sort()).toEqual([ADMIN_EXIT.ok, ADMIN_EXIT.usage]);
    const winner = racing.find((r) => r.code === ADMIN_EXIT.ok)!;
    const loser = racing.find((r) => r.code !== ADMIN_EXIT.ok)!;
    expect(loser.err[0]).toMatch(/^admin: an admin operator exists: operator create needs the token of an operator with the admin role/);
    const root = JSON.parse(winner.out[0]!) as { operatorId: string; token: string };
    await db.initialize();
    expect(await db.query(`SELECT operator_id, created_by FROM operator`)).toEqual([{ operator_id: root.operatorId, created_by: 'system:setup' }]);
    expect(await db.query(`SELECT DISTINCT actor FROM audit_log`)).toEqual([{ actor: 'system:setup' }]);

    // setup's next steps, as the first admin
    const adminFile = tokenFile(root.token);
    expect((await run(['operator', 'create', '--id', 'demo-operator', '--roles', 'finance,risk,sre,admin', '--token-file', adminFile])).code).toBe(ADMIN_EXIT.ok);
    expect((await run(['service-token', 'create', '--service', 'monitoring', '--token-file', adminFile])).code).toBe(ADMIN_EXIT.ok);
    expect(await db.query(`SELECT principal_id, issued_by FROM credential ORDER BY issued_at`)).toEqual([
      { principal_id: root.operatorId, issued_by: 'system:setup' },
      { principal_id: 'demo-operator', issued_by: `operator:${root.operatorId}` },
      { principal_id: 'monitoring', issued_by: `operator:${root.operatorId}` },
    ]);
    expect((await run(['operator', 'create', '--id', 'late', '--roles', 'admin'])).code).toBe(ADMIN_EXIT.usage);
    // the tokens lost (another checkout's setup, a deleted .run/): break glass makes an admin anyway, as its own actor
    expect((await run(['operator', 'create', '--id', 'glass', '--roles', 'finance', '--break-glass'])).code).toBe(ADMIN_EXIT.usage);
    const glass = await run(['operator', 'create', '--id', 'glass', '--roles', 'admin', '--break-glass']);
    expect(glass.code).toBe(ADMIN_EXIT.ok);
    expect(glass.err[0]).toMatch(/^admin: BREAK GLASS: creating admin operator glass without an operator's token, recorded as system:break-glass/);
    expect(await db.query(`SELECT created_by FROM operator WHERE operator_id = 'glass'`)).toEqual([{ created_by: 'system:break-glass' }]);
    expect(await db.query(`SELECT action FROM audit_log WHERE actor = 'system:break-glass' ORDER BY seq`)).toEqual([{ action: 'operator.created' }, { action: 'credential.issued' }]);
    expect((await run(['operator', 'revoke', '--id', 'glass'], asToken((JSON.parse(glass.out[0]!) as { token: string }).token))).code).toBe(ADMIN_EXIT.ok);

    // the admins disabled (the last one by itself), the bootstrap is open again: the way back in when every admin token is lost
    expect((await run(['operator', 'revoke', '--id', 'demo-operator'], asToken(root.token))).code).toBe(ADMIN_EXIT.ok);
    expect((await run(['operator', 'revoke', '--id', root.operatorId], asToken(root.token))).code).toBe(ADMIN_EXIT.ok);
    const again = await run(['operator', 'create', '--id', 'root-again', '--roles', 'admin']);
    expect(again.code).toBe(ADMIN_EXIT.ok);
    expect(await db.query(`SELECT created_by FROM operator WHERE operator_id = 'root-again'`)).toEqual([{ created_by: 'system:setup' }]);
  });
});

/**
 * As scripts/setup.sh runs it (scripts/with-db-roles.sh admin): every change as the merchant database's
 * runtime role (MERCHANT_DATABASE_URL), the registry's migrations as its owner role
 * (MERCHANT_MIGRATION_DATABASE_URL), on databases and roles infra/postgres/setup.sh made.
 */
describe('admin CLI as the merchant runtime role (its migrations as the owner role)', () => {
  const roles = new ScratchDatabaseRoles(['merchant'], 'madr_');
  const topicPrefix = uniqueTopicPrefix('madr');
  const runAs = async (env: Record<string, string>, argv: string[], operatorEnv: Record<string, string> = {}): Promise<Run> => {
    const config = loadPlatformConfig('merchant', testServiceEnvWithoutAcls('MERCHANT', { schema: roles.schema, topicPrefix }, env));
    const out: string[] = [];
    const err: string[] = [];
    const code = await adminMain(argv, config, { out: (l) => out.push(l), err: (l) => err.push(l) }, operatorEnv);
    return { code, out, err };
  };
  let asSetupRunsIt: Record<string, string>;
  let superuser: Client;

  beforeAll(async () => {
    await roles.setup();
    asSetupRunsIt = { MERCHANT_DATABASE_URL: roles.url('merchant', 'app'), MERCHANT_MIGRATION_DATABASE_URL: roles.url('merchant', 'owner') };
    superuser = new Client({ connectionString: roles.superuserUrl('merchant'), options: `-c search_path=${roles.schema}` });
    await superuser.connect();
  });

  afterAll(async () => {
    await superuser?.end();
    await roles.dispose();
  });

  it("migrates a fresh registry as the owner and makes setup's and an admin's every change as the runtime role", async () => {
    const run = (argv: string[], operatorEnv?: Record<string, string>) => runAs(asSetupRunsIt, argv, operatorEnv);
    // setup's bootstrap, on a registry no service has migrated yet
    const root = await run(['operator', 'create', '--id', 'root', '--roles', 'admin']);
    expect([root.code, root.err]).toEqual([ADMIN_EXIT.ok, expect.any(Array)]);
    const rootToken = tokenOf(root);
    const both = await run(['operator', 'create', '--id', 'both', '--roles', 'finance,admin', '--token-file', tokenFile(rootToken)]);
    expect(both.code).toBe(ADMIN_EXIT.ok);
    expect((await run(['service-token', 'create', '--service', 'monitoring'], asToken(rootToken))).code).toBe(ADMIN_EXIT.ok);
    // an onboarding with its key (merchant, idempotency record, credential, outbox, audit), a rotation, a revocation
    const onboarded = await run(
      ['merchant', 'onboard', '--merchant-id', 'm-roles', '--legal-name', 'Tea House Ltd', '--contact-name', 'Li Wei', '--contact-email', 'li@teahouse.example', '--schedule', 'realtime', '--fee-bps', '60',
        '--bank-code', '102100099996', '--account-no', '6222020000000000001', '--account-name', 'Tea House Ltd', '--with-key', '--mode', 'test'],
      asToken(tokenOf(both)),
    );
    expect(onboarded.code).toBe(ADMIN_EXIT.ok);
    const { key } = JSON.parse(onboarded.out[0]!) as { key: { keyId: string } };
    const rotated = await run(['key', 'rotate', '--key', key.keyId, '--overlap', '1h'], asToken(rootToken));
    expect(rotated.code).toBe(ADMIN_EXIT.ok);
    expect((await run(['key', 'revoke', '--key', (JSON.parse(rotated.out[0]!) as { keyId: string }).keyId], asToken(rootToken))).code).toBe(ADMIN_EXIT.ok);
    expect((await run(['operator', 'revoke', '--id', 'both'], asToken(rootToken))).code).toBe(ADMIN_EXIT.ok);
    expect((await run(['merchant', 'show', 'm-roles'])).code).toBe(ADMIN_EXIT.ok);

    // the schema is the owner's (the runtime role made none of it), and the changes are all there
    const owners = await superuser.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1`, [roles.schema]);
    expect(owners.rows).toEqual([{ tableowner: roles.role('merchant', 'owner') }]);
    expect((await superuser.query(`SELECT principal_id, revoked_at IS NOT NULL AS revoked FROM credential ORDER BY issued_at, credential_id`)).rows).toEqual(
      expect.arrayContaining([{ principal_id: 'root', revoked: false }, { principal_id: 'both', revoked: true }, { principal_id: 'monitoring', revoked: false }, { principal_id: 'm-roles', revoked: true }]),
    );
    expect((await superuser.query(`SELECT count(*)::int AS n FROM audit_log`)).rows[0].n).toBeGreaterThanOrEqual(8);
    // and the start-up's restrictions hold for the runtime role the CLI ran as, as after the service's own start
    const privileges = await superuser.query(
      `SELECT has_table_privilege($1, 'audit_log', 'UPDATE') AS audit_update, has_table_privilege($1, 'typeorm_migrations', 'INSERT') AS migrations_insert, has_table_privilege($1, 'typeorm_migrations', 'SELECT') AS migrations_select`,
      [roles.role('merchant', 'app')],
    );
    expect(privileges.rows).toEqual([{ audit_update: false, migrations_insert: false, migrations_select: true }]);
  });

  it('works with the runtime role alone on a migrated registry (no owner URL): its migration check only reads', async () => {
    const alone = { MERCHANT_DATABASE_URL: roles.url('merchant', 'app') };
    const listed = await runAs(alone, ['merchant', 'list']);
    expect([listed.code, listed.out]).toEqual([ADMIN_EXIT.ok, [expect.stringMatching(/^m-roles\tactive\t/)]]);
    const glass = await runAs(alone, ['operator', 'create', '--id', 'glass', '--roles', 'admin', '--break-glass']);
    expect(glass.code).toBe(ADMIN_EXIT.ok);
  });
});
