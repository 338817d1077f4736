import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DLQ_HEADERS, TOPICS } from '@paystream/contracts';
import { auditRowsAbout, verifyAuditChain } from '@paystream/shared/audit-log';
import { bearerToken, deriveSecret, newCredentialId, parsePepper, secretSha256 } from '@paystream/shared/auth';
import { PermanentEventError } from '@paystream/shared/kafka';
import { createDataSource, openDatabase } from '@paystream/shared/persistence';
import { loadPlatformConfig, Platform } from '@paystream/shared/platform';
import { dropSchemas, EffectTable1764050000001, paymentRequestedFixture, RawProducer, ScratchDatabaseRoles, TEST_CREDENTIAL_PEPPER, TEST_DATABASE, testDatabaseUrl, testRoleUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { OPS_DLQ_MIGRATIONS } from '@paystream/ops/feature-dlq';
import { loadDlqRegistryConfig, loadOpsConfig, type DlqRegistryConfig, type OpsConfig } from './config';
import { dlqMain } from './dlq-cli';

/** The registry's credential table, the columns the CLI reads (the merchant service's migration makes the real one). */
const CREDENTIAL_TABLE = `CREATE TABLE credential (
  credential_id TEXT PRIMARY KEY, kind TEXT NOT NULL, principal_id TEXT NOT NULL, roles TEXT[] NOT NULL DEFAULT '{}', mode TEXT,
  secret_sha256 TEXT NOT NULL, not_before TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ, revoked_at TIMESTAMPTZ, issued_by TEXT NOT NULL)`;

describe('dlq CLI on the real broker and database', () => {
  const prefix = uniqueTopicPrefix('dlq');
  const serviceSchema = uniqueId('dlqsvc_');
  const opsSchema = uniqueId('dlqops_');
  const registrySchema = uniqueId('dlqreg_');
  const tokenDir = mkdtempSync(join(tmpdir(), 'paystream-dlq-tokens-'));
  const dlqTopic = `${TOPICS.paymentRequested}.dlq`;
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  /** Orders the handler fails for, permanently, until the "fix" is deployed. */
  const broken = new Set<string>(['o-broken']);
  let platform: Platform;
  let upstream: RawProducer;
  let collector: TopicCollector;
  let config: OpsConfig;
  let registry: DlqRegistryConfig;
  /** Token files of operators in the registry: alice and bob are sre operators, fin is finance only, gone was revoked. */
  const tokenFile: Record<'alice' | 'bob' | 'fin' | 'gone', string> = { alice: '', bob: '', fin: '', gone: '' };

  const dlq = async (...argv: string[]) => dlqWith({}, ...argv);
  const dlqWith = async (env: Record<string, string>, ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await dlqMain(argv, config, registry, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  /**
   * The registry an operator token is checked in: the merchant database's credential table (the
   * merchant service owns it: these are the columns the CLI reads, as the merchant service writes
   * them; apps/merchant/src/registry-credentials.integration-spec.ts reads the real table).
   */
  const registerOperators = async () => {
    const db = await openDatabase({ url: testDatabaseUrl(), schema: registrySchema, migrations: [], poolSize: 1 });
    const pepper = parsePepper(TEST_CREDENTIAL_PEPPER);
    try {
      await db.query(CREDENTIAL_TABLE);
      for (const [name, roles, revoked] of [['alice', ['sre'], false], ['bob', ['sre', 'finance'], false], ['fin', ['finance', 'admin'], false], ['gone', ['sre'], true]] as const) {
        const id = newCredentialId({ kind: 'operator-token' });
        const secret = deriveSecret(pepper, id);
        await db.query(
          `INSERT INTO credential (credential_id, kind, principal_id, roles, secret_sha256, not_before, revoked_at, issued_by) VALUES ($1, 'operator-token', $2, $3, $4, now() - interval '1 hour', $5, 'system:setup')`,
          [id, name, roles, secretSha256(secret), revoked ? new Date() : null],
        );
        tokenFile[name] = join(tokenDir, `${name}-token`);
        writeFileSync(tokenFile[name], `${bearerToken(id, secret)}\n`, { mode: 0o600 });
      }
    } finally {
      await db.destroy();
    }
  };
  const effects = async (orderId: string) => Number((await platform.ds.query(`SELECT count(*)::int AS n FROM effect WHERE order_id = $1`, [orderId]))[0].n);
  const duplicates = async () =>
    (await platform.registry.getSingleMetric('paystream_messages_consumed_total')?.get())?.values.find((v) => v.labels.result === 'duplicate')?.value ?? 0;

  beforeAll(async () => {
    const platformConfig = loadPlatformConfig('order-payment', await testServiceEnv('ORDER_PAYMENT', { schema: serviceSchema, topicPrefix: prefix }));
    platform = await Platform.open({ config: platformConfig, migrations: [EffectTable1764050000001], producesTopics: [] });
    platform.consume(TOPICS.paymentRequested, {
      handle: async (event, tx) => {
        if (broken.has(event.payload.orderId)) throw new PermanentEventError(`no merchant profile for ${event.payload.merchantId}`);
        await tx.query(`INSERT INTO effect (order_id, event_id) VALUES ($1, $2)`, [event.payload.orderId, event.id]);
      },
    });
    await platform.start();
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([`${prefix}${TOPICS.paymentRequested}`]).start();
    config = loadOpsConfig(await testServiceEnv('OPS', { schema: opsSchema, topicPrefix: prefix, principal: 'dlq-replay' }));
    // the ops service's start-up, once: its replay log migrated as the owner role (the CLI runs as the runtime role and migrates nothing)
    await (await openDatabase({ url: config.databaseUrl, migrationUrl: testRoleUrl(TEST_DATABASE, 'owner'), schema: opsSchema, migrations: OPS_DLQ_MIGRATIONS, poolSize: 1 })).destroy();
    registry = loadDlqRegistryConfig({ MERCHANT_DATABASE_URL: testDatabaseUrl(), MERCHANT_DB_SCHEMA: registrySchema });
    await registerOperators();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await platform?.stop();
    await dropSchemas(testDatabaseUrl(), [serviceSchema, opsSchema, registrySchema]);
  });

  let id: string;
  let eventId: string;

  it('lists and shows a dead letter with why it failed and where it came from', async () => {
    eventId = await upstream.sendEvent(`${prefix}${TOPICS.paymentRequested}`, 'o-broken', paymentRequestedFixture('o-broken'), { headers: { traceparent } });
    await upstream.sendEvent(`${prefix}${TOPICS.paymentRequested}`, 'o-fine', paymentRequestedFixture('o-fine'));
    await waitFor(async () => ((await effects('o-fine')) === 1 ? true : undefined), 30_000, 'the good event');
    const listed = await waitFor(async () => {
      const r = await dlq('list', '--topic', dlqTopic);
      return r.out.includes(eventId) ? r : undefined;
    }, 60_000, 'the dead letter to be listed', 500);
    expect(listed.code).toBe(0);
    const line = listed.out.split('\n').find((l) => l.includes(eventId))!;
    expect(line).toContain('paystream.order-payment');
    expect(line).toContain('no merchant profile for m-1');
    expect(listed.out).toMatch(/1 dead letter\(s\) in 1 topic\(s\)$/);
    id = line.split(/\s+/)[0]!;
    expect(id).toMatch(new RegExp(`^${dlqTopic.replace(/\./g, '\\.')}:\\d+:\\d+$`));

    const [topic, partition, offset] = id.split(':') as [string, string, string];
    const shown = await dlq('show', topic, partition, offset);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toMatchObject({
      id,
      reason: 'no merchant profile for m-1',
      consumer: 'paystream.order-payment',
      original: { topic: TOPICS.paymentRequested },
      eventId,
      key: 'o-broken',
      value: { orderId: 'o-broken', amountMinor: '1000' },
    });
    // its waits (the good event 30 s, the listing 60 s, one read of dead letters up to DLQ_READ_TIMEOUT_MS) need more than the default 60 s on a loaded machine
  }, 150_000);

  it('replays nothing on a dry run', async () => {
    const r = await dlq('replay', id, '--dry-run');
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining(`would replay ${id} -> ${TOPICS.paymentRequested} (event ${eventId}`) });
    await new Promise((res) => setTimeout(res, 1_000));
    expect(collector.on(`${prefix}${TOPICS.paymentRequested}`, (m) => m.key === 'o-broken')).toHaveLength(1);
    expect((await dlq('replays')).out).toBe('0 replay(s)');
  });

  it('replays nothing for a name typed with --by, without a token, or with a token that is not an sre operator\'s', async () => {
    const refused = [
      await dlq('replay', id, '--by', 'alice'),
      await dlq('replay', id),
      await dlq('replay', id, '--token-file', tokenFile.fin),
      await dlq('replay', id, '--token-file', tokenFile.gone),
      await dlqWith({ PAYSTREAM_OPERATOR_TOKEN: 'alice' }, 'replay', id),
    ];
    expect(refused.map((r) => [r.code, r.err.split(' ')[0]])).toEqual([
      [2, '--by'],
      [2, 'replay'],
      [3, 'AUTH_FORBIDDEN'],
      [3, 'AUTH_KEY_REVOKED'],
      [3, 'AUTH_MALFORMED'],
    ]);
    await new Promise((res) => setTimeout(res, 1_000));
    expect(collector.on(`${prefix}${TOPICS.paymentRequested}`, (m) => m.key === 'o-broken')).toHaveLength(1);
    expect((await dlq('replays')).out).toBe('0 replay(s)');
  });

  it('replays to the original topic once fixed; a second replay of the same message changes nothing', async () => {
    broken.delete('o-broken'); // the fix is deployed
    const first = await dlq('replay', id, '--token-file', tokenFile.alice);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`replayed ${id.replace(/\./g, '\\.')} -> ${TOPICS.paymentRequested.replace(/\./g, '\\.')} \\(event ${eventId}\\) as replay #\\d+ by operator:alice$`));
    await waitFor(async () => ((await effects('o-broken')) === 1 ? true : undefined), 30_000, 'the replayed event to be processed');
    const replayed = collector.on(`${prefix}${TOPICS.paymentRequested}`, (m) => m.key === 'o-broken');
    expect(replayed).toHaveLength(2);
    // the original headers (ce_id, traceparent) and none of the DLQ's own
    expect(replayed[1]!.headers).toMatchObject({ ce_id: eventId, traceparent });
    expect(Object.keys(replayed[1]!.headers).filter((h) => Object.values(DLQ_HEADERS).includes(h as never))).toEqual([]);
    expect(replayed[1]!.value).toEqual(replayed[0]!.value);

    const duplicatesBefore = await duplicates();
    const second = await dlqWith({ PAYSTREAM_OPERATOR_TOKEN: readFileSync(tokenFile.bob, 'utf8') }, 'replay', id);
    expect(second.code).toBe(0);
    await waitFor(async () => ((await duplicates()) > duplicatesBefore ? true : undefined), 30_000, 'the second replay to be seen as a duplicate');
    expect(await effects('o-broken')).toBe(1);

    const replays = await dlq('replays');
    const lines = replays.out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^#\\d+  \\d{4}-\\d\\d-\\d\\dT.+Z  bob  ${id.replace(/\./g, '\\.')} -> ${TOPICS.paymentRequested.replace(/\./g, '\\.')}  event=${eventId}$`));
    expect(lines[1]).toContain('  alice  ');
    expect(lines[2]).toBe('2 replay(s)');
    // each replay is in the ops database's audit chain with the operator its token authenticated, and the chain holds
    const opsDb = await openDatabase({ url: testDatabaseUrl(), schema: opsSchema, migrations: [], poolSize: 1 });
    try {
      const audited = await auditRowsAbout(opsDb, `dlq:${id}`);
      expect(audited.map((a) => [a.actor, a.action, (a.details as { originalTopic: string }).originalTopic])).toEqual([
        ['operator:alice', 'dlq.replayed', TOPICS.paymentRequested],
        ['operator:bob', 'dlq.replayed', TOPICS.paymentRequested],
      ]);
      expect(audited.map((a) => (a.details as { credentialId: string }).credentialId)).toEqual([readFileSync(tokenFile.alice, 'utf8').split('.')[0], readFileSync(tokenFile.bob, 'utf8').split('.')[0]]);
      expect(await verifyAuditChain(opsDb)).toMatchObject({ status: 'ok', length: 2n });
    } finally {
      await opsDb.destroy();
    }
  });

  /**
   * As `npm run dlq` runs it (scripts/with-db-roles.sh dlq): its replay log as the ops database's runtime role
   * (OPS_DATABASE_URL), the token checked in the registry as the merchant database's read-only role
   * (MERCHANT_DATABASE_URL), on databases and roles infra/postgres/setup.sh made and the services migrated.
   */
  it("replays as the least roles: the ops runtime role records it, the registry's read-only role checks the token", async () => {
    const roles = new ScratchDatabaseRoles(['ops', 'merchant'], 'dlqr_');
    try {
      await roles.setup();
      // the merchant service's registry (its owner's table, its runtime role's rows), holding alice's credential
      const merchantOwner = createDataSource({ url: roles.url('merchant', 'owner'), schema: roles.schema, migrations: [], poolSize: 1 });
      await merchantOwner.initialize();
      await merchantOwner.query(CREDENTIAL_TABLE).finally(() => merchantOwner.destroy());
      const merchantApp = createDataSource({ url: roles.url('merchant', 'app'), schema: roles.schema, migrations: [], poolSize: 1 });
      await merchantApp.initialize();
      try {
        // read from the test's registry as the superuser (the service under test runs as its runtime role, without a grant there)
        const superuser = new Client({ connectionString: testDatabaseUrl() });
        await superuser.connect();
        const [alice] = (await superuser.query(`SELECT credential_id, kind, principal_id, roles, secret_sha256, not_before, issued_by FROM "${registrySchema}".credential WHERE principal_id = 'alice'`).finally(() => superuser.end())).rows;
        await merchantApp.query(`INSERT INTO credential (credential_id, kind, principal_id, roles, secret_sha256, not_before, issued_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          alice.credential_id, alice.kind, alice.principal_id, alice.roles, alice.secret_sha256, alice.not_before, alice.issued_by,
        ]);
      } finally {
        await merchantApp.destroy();
      }
      // the ops service's start-up: its migrations as the owner
      await (await openDatabase({ url: roles.url('ops', 'app'), migrationUrl: roles.url('ops', 'owner'), schema: roles.schema, migrations: OPS_DLQ_MIGRATIONS, poolSize: 1 })).destroy();

      const asRoles = { ...config, databaseUrl: roles.url('ops', 'app'), dbSchema: roles.schema };
      const registryReader = { databaseUrl: roles.url('merchant', 'reader'), dbSchema: roles.schema };
      const io = () => {
        const lines = { out: [] as string[], err: [] as string[] };
        return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
      };
      const replay = io();
      const code = await dlqMain(['replay', id, '--token-file', tokenFile.alice], asRoles, registryReader, replay.io, {});
      expect([code, replay.lines.err]).toEqual([0, []]);
      expect(replay.lines.out).toEqual([expect.stringMatching(/ as replay #1 by operator:alice$/)]);
      const refused = io();
      expect(await dlqMain(['replay', id, '--token-file', tokenFile.bob], asRoles, registryReader, refused.io, {})).toBe(3); // bob is in the test's registry, not this one
      const listed = io();
      expect(await dlqMain(['replays'], asRoles, registryReader, listed.io, {})).toBe(0);
      expect(listed.lines.out).toEqual([expect.stringContaining('  alice  '), '1 replay(s)']);
      // the replay and its audit row are in the ops database, read back as its read-only role (the auditor's)
      const opsReader = createDataSource({ url: roles.url('ops', 'reader'), schema: roles.schema, migrations: [], poolSize: 1 });
      await opsReader.initialize();
      try {
        expect(await verifyAuditChain(opsReader)).toMatchObject({ status: 'ok', length: 1n });
      } finally {
        await opsReader.destroy();
      }
    } finally {
      await roles.dispose();
    }
  }, 60_000);

  it('refuses a malformed id and reports a missing message, replaying the others', async () => {
    const r = await dlq('replay', 'not-an-id', `${dlqTopic}:0:999999`, '--token-file', tokenFile.alice);
    expect(r.code).toBe(1);
    expect(r.err).toContain('DLQ_REF_INVALID not-an-id');
    expect(r.err).toContain(`DLQ_MESSAGE_NOT_FOUND ${dlqTopic}:0:999999`);
    expect((await dlq('frobnicate')).code).toBe(2);
    expect((await dlq('list', '--limit', '0')).code).toBe(2);
  });
});
