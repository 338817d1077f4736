import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEmulatorApp, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { IdentityKeyRing, IdentityRepository } from '@paystream/risk/data-access';
import { residentIdCheckChar } from '@paystream/risk/domain';
import { loadIdentitySettings } from '@paystream/risk/feature-assess-payment';
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';
import { inTransaction } from '@paystream/shared/persistence';
import { loadPlatformConfig, Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, TEST_MERCHANT_ID, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';

/** A valid resident ID for the n-th person of this run (born 1990, a distinct sequence number each). */
const residentId = (n: number) => {
  const first17 = `110101199003${String(1 + (n % 28)).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
  return `${first17}${residentIdCheckChar(first17)}`;
};

describe('risk identities on the real database, verified by the emulator', () => {
  const schema = uniqueId('risk_id_');
  const keysDir = mkdtempSync(join(tmpdir(), 'risk-identity-keys-'));
  const k1 = randomBytes(32);
  let app: NestFastifyApplication;
  let emulator: NestFastifyApplication;
  let repo: IdentityRepository;
  let platform: Platform;
  let creds: TestCredentials;
  let n = 0;

  const identity = (over: Record<string, unknown> = {}) => {
    n += 1;
    return {
      userId: `u-${schema}-${n}`,
      name: '张伟',
      residentId: residentId(n),
      phone: `138${String(10_000_000 + n * 7 + 1).slice(-8)}`,
      bankCard: '6225880137453008',
      address: { province: '北京市', city: '北京市', district: '东城区', street: `东长安街${n}号院` },
      ...over,
    };
  };
  // signed as TEST_MERCHANT_ID unless said otherwise
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/identities', payload: payload as Record<string, unknown> });
  /** POST /identities signed by this merchant's key. */
  const postAs = async (merchantId: string, body: unknown) => {
    const payload = JSON.stringify(body);
    return app.inject({ method: 'POST', url: '/identities', payload, headers: { 'content-type': 'application/json', ...creds.headers(await creds.merchant(merchantId), 'POST', '/identities', payload) } });
  };
  const get = (userId: string, merchantId?: string) => app.inject({ method: 'GET', url: `/identities/${encodeURIComponent(userId)}${merchantId ? `?merchantId=${merchantId}` : ''}` });
  const levelOf = (userId: string, merchantId = TEST_MERCHANT_ID) => repo.levelOf(platform.ds.manager, merchantId, userId);
  /** What an answer shows besides the submitted user's own values: status, fields, level and verification. */
  const shapeOf = (res: { statusCode: number; json: () => Record<string, unknown> }) => {
    const body = res.json();
    return { status: res.statusCode, fields: Object.keys(body).sort(), level: body.level, verification: body.verification };
  };

  beforeAll(async () => {
    ensureChannelKeys(keysDir);
    emulator = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, LOG_LEVEL: 'silent' }));
    await emulator.listen(0, '127.0.0.1');
    const env = await testServiceEnv('RISK', { schema, topicPrefix: uniqueTopicPrefix('risk-id') }, {
      CHANNEL_EMULATOR_URL: await emulator.getUrl(),
      CHANNEL_KEYS_DIR: keysDir,
      RISK_IDENTITY_KEYS: `k1:${k1.toString('base64')}`,
      RISK_IDENTITY_PROVIDER_TIMEOUT_MS: '2000',
    });
    app = await startInProcessApp(AppModule.forRoot({ ...loadPlatformConfig('risk', env), identity: loadIdentitySettings(env) }));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    repo = app.get(IdentityRepository, { strict: false });
    platform = app.get(Platform, { strict: false });
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
    rmSync(keysDir, { recursive: true, force: true });
  });

  it.each([
    ['full', 'all four elements match', {}],
    ['basic', 'the phone is registered to someone else (ends 0000)', { phone: '13900000000' }],
    ['none', 'the name is in no register (ends 假)', { name: '张假' }],
  ])('verifies to level %s when %s', async (level, _why, over) => {
    const body = identity(over);
    const created = await post(body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ userId: body.userId, level, verification: 'verified' });
    expect(await levelOf(body.userId)).toBe(level);
    const read = await get(body.userId);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ level, verification: 'verified' });
  });

  it('answers with masked values only, and stores no clear personal data', async () => {
    const body = identity({ name: '欧阳娜娜', residentId: '11010519491231002X', phone: '13812341234', bankCard: '4111111111111111' });
    expect((await post(body)).statusCode).toBe(201);
    const read = (await get(body.userId)).json();
    expect(read).toMatchObject({
      name: '***娜',
      residentId: '110***********002X',
      phone: '138****1234',
      bankCard: { bin: '411111', last4: '1111', masked: '411111******1111' },
      address: { province: '北京市', city: '北京市', district: '东城区', street: '****' },
    });
    const text = JSON.stringify(read);
    for (const secret of [body.residentId, body.bankCard, body.phone, body.name, body.address.street]) expect(text).not.toContain(secret);

    const rows: Record<string, unknown>[] = await platform.ds.query(`SELECT * FROM identity`);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const table = JSON.stringify(rows);
    const everyone = [body, ...[1, 2, 3].map((i) => ({ residentId: residentId(i), phone: `138${String(10_000_000 + i * 7 + 1).slice(-8)}` }))];
    for (const p of everyone) {
      expect(table).not.toContain(p.residentId);
      expect(table).not.toContain(p.residentId.slice(6)); // not even birth date, sequence and check
      expect(table).not.toContain(p.phone);
    }
    for (const secret of ['4111111111111111', '6225880137453008', '欧阳娜娜', '张伟', '张假', '东长安街']) expect(table).not.toContain(secret);
    const row = rows.find((r) => r.user_id === body.userId)!;
    expect(row).toMatchObject({ key_id: 'k1', card_bin: '411111', card_last4: '1111', level: 'full' });
    expect(row.resident_id_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['name', { name: '张' }, 'IDENTITY_NAME_INVALID'],
    ['name', { name: 'Zhang3' }, 'IDENTITY_NAME_INVALID'],
    ['residentId', { residentId: '110105194912310021' }, 'IDENTITY_ID_INVALID'],
    // born on 30 February
    ['residentId', { residentId: `11010119900230001${residentIdCheckChar('11010119900230001')}` }, 'IDENTITY_ID_INVALID'],
    ['phone', { phone: '12812341234' }, 'IDENTITY_PHONE_INVALID'],
    ['bankCard', { bankCard: '6225880137453009' }, 'IDENTITY_CARD_INVALID'],
    ['bankCard', { bankCard: '3530111333300000' }, 'IDENTITY_CARD_INVALID'],
    ['address', { address: { province: '北京市', city: '', district: '东城区', street: '1号' } }, 'IDENTITY_ADDRESS_INVALID'],
  ])('refuses an invalid %s with %s', async (field, over, code) => {
    const body = identity(over);
    const res = await post(body);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code, field, retryable: false, action: 'fix_request' });
    expect(res.body).not.toContain(body.residentId);
    expect(await levelOf(body.userId)).toBe('none');
    expect((await get(body.userId)).statusCode).toBe(404);
  });

  it('says which resident ID check failed', async () => {
    const res = await post(identity({ residentId: '110105194912310021' }));
    expect(res.json().error.detail).toContain('ID_CHECK_DIGIT');
  });

  it.each([
    ['a missing field', (() => { const { phone: _p, ...rest } = identity(); return rest; })()],
    ['an address that is a string', identity({ address: '北京市东城区' })],
    ['a number for the card', identity({ bankCard: 6225880137453008 })],
    ['no body', undefined],
  ])('answers a body of the wrong shape (%s) with VALIDATION_FAILED', async (_why, body) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('re-verifies on update: full, then basic with a mismatching phone, then full again', async () => {
    const body = identity();
    const first = await post(body);
    expect(first.json()).toMatchObject({ level: 'full' });
    const updated = await post({ ...body, phone: '13700000000' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ level: 'basic', verification: 'verified', phone: '137****0000' });
    expect(Date.parse(updated.json().verifiedAt)).toBeGreaterThanOrEqual(Date.parse(first.json().verifiedAt));
    expect(await levelOf(body.userId)).toBe('basic');
    const back = await post({ ...body, phone: '13711112222' });
    expect(back.json()).toMatchObject({ level: 'full', phone: '137****2222' });
  });

  it('binds one resident ID to one user of a merchant without telling: another user of it gets the same answer, held, with no level', async () => {
    const owner = identity();
    expect((await post(owner)).statusCode).toBe(201);
    const fresh = await post(identity());
    const other = identity({ residentId: owner.residentId.toLowerCase() });
    const taken = await post(other);
    // the same status, fields, level and verification as an ID nobody holds: no oracle
    expect(shapeOf(taken)).toEqual(shapeOf(fresh));
    expect(taken.json()).toMatchObject({ level: 'full', verification: 'verified' });
    expect(taken.body).not.toMatch(/held|taken|IDENTITY_ID_TAKEN/i);
    // but the binding is held: it grants no level, and a risk operator sees why
    expect(await levelOf(other.userId)).toBe('none');
    expect((await get(other.userId)).json()).toMatchObject({ merchantId: TEST_MERCHANT_ID, level: 'full', bindingHeld: true, effectiveLevel: 'none' });
    expect(await levelOf(owner.userId)).toBe('full');
    expect((await get(owner.userId)).json()).toMatchObject({ bindingHeld: false, effectiveLevel: 'full' });
    // the owner may resubmit with it
    expect((await post({ ...owner, address: { ...owner.address, street: '王府井大街1号' } })).statusCode).toBe(200);
    expect(await levelOf(owner.userId)).toBe('full');
  });

  it("answers a probe with a resident ID another merchant's user holds exactly as one with an ID nobody holds", async () => {
    const atA = identity();
    expect((await postAs('m-id-a', atA)).statusCode).toBe(201);
    const probe = await postAs('m-id-b', identity({ residentId: atA.residentId }));
    const control = await postAs('m-id-b', identity());
    expect(shapeOf(probe)).toEqual(shapeOf(control));
    expect(probe.json()).toMatchObject({ level: 'full', verification: 'verified' });
    // a merchant's users are its own: B's user with that ID is verified for B's payments, A's keeps its level at A
    expect(await levelOf(atA.userId, 'm-id-a')).toBe('full');
  });

  it("keeps a merchant's identity its own: another merchant registering the same user id neither reads nor replaces it, and gets no level from it", async () => {
    const atA = identity();
    expect((await postAs('m-id-a', atA)).statusCode).toBe(201);
    expect(await levelOf(atA.userId, 'm-id-b')).toBe('none');
    // B registering A's user id: created (B's own identity), not replaced (which would tell A has one)
    const atB = await postAs('m-id-b', { ...identity(), userId: atA.userId, name: '张假' });
    expect(atB.statusCode).toBe(201);
    expect(atB.json()).toMatchObject({ userId: atA.userId, level: 'none' });
    expect(await levelOf(atA.userId, 'm-id-a')).toBe('full');
    expect(await levelOf(atA.userId, 'm-id-b')).toBe('none');
    expect((await get(atA.userId, 'm-id-a')).json()).toMatchObject({ merchantId: 'm-id-a', level: 'full', name: '*伟', phone: `${atA.phone.slice(0, 3)}****${atA.phone.slice(-4)}` });
    // an operator names the merchant when the user id has an identity at several
    const ambiguous = await get(atA.userId);
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json().error.detail).toContain('?merchantId=');
    expect((await get(atA.userId, 'm-id-none')).statusCode).toBe(404);
  });

  it('knows nothing of a user who never registered: 404, level none', async () => {
    expect((await get('u-never-registered')).statusCode).toBe(404);
    expect((await get('u-never-registered')).json().error.code).toBe('RESOURCE_NOT_FOUND');
    expect(await levelOf('u-never-registered')).toBe('none');
  });

  it('reads a row written under an old key after rotation, and re-encrypts it on update', async () => {
    const old = new IdentityRepository(new IdentityKeyRing([{ id: 'k1', key: k1 }]));
    const rotated = new IdentityRepository(new IdentityKeyRing([{ id: 'k2', key: randomBytes(32) }, { id: 'k1', key: k1 }]));
    const body = identity();
    const write = { ...body, merchantId: TEST_MERCHANT_ID, level: 'full' as const, verification: 'verified' as const, providerRef: 'test', verifiedAt: new Date(), bindingHeld: false };
    await inTransaction(platform.ds, (tx) => old.save(tx, write));
    const read = await rotated.find(platform.ds.manager, TEST_MERCHANT_ID, body.userId);
    expect(read).toMatchObject({ keyId: 'k1', name: body.name, residentId: body.residentId, phone: body.phone, bankCard: body.bankCard, address: body.address });
    const { identity: rewritten, created } = await inTransaction(platform.ds, (tx) => rotated.save(tx, write));
    expect(created).toBe(false);
    expect(rewritten.keyId).toBe('k2');
    expect(await rotated.userIdByResidentId(platform.ds.manager, TEST_MERCHANT_ID, body.residentId)).toBe(body.userId);
    // a process still on the old keys cannot read the rewritten row: the key id says why
    await expect(old.find(platform.ds.manager, TEST_MERCHANT_ID, body.userId)).rejects.toThrow(/k2 is not configured/);
  });

  it('stores an identity as pending with level none when the provider cannot be reached', async () => {
    await emulator.close();
    const body = identity();
    const res = await post(body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ level: 'none', verification: 'pending', verifiedAt: null });
    expect(await levelOf(body.userId)).toBe('none');
  });
});
