import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { TOPICS, type MerchantPayoutAccountChange, type MerchantSnapshot } from '@paystream/contracts';
import { PayoutAccountChangeJob } from '@paystream/merchant/feature-registry';
import { auditRowsAbout, verifyAuditChain } from '@paystream/shared/audit-log';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authorizationFor } from '@paystream/shared/auth';
import { authenticateInjects, dropSchemas, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadMerchantConfig } from './config';

const COOLING_OFF_MS = 60 * 60 * 1000;

/** The registry on the real Postgres and Kafka: onboarding, changes, status, and the four-eyes payout account change. */
describe('merchant registry', () => {
  const prefix = uniqueTopicPrefix('mreg');
  const schema = uniqueId('mreg_');
  const t = (topic: string) => `${prefix}${topic}`;
  let app: NestFastifyApplication;
  let ds: DataSource;
  let job: PayoutAccountChangeJob;
  let events: TopicCollector;
  // the registry's clock: the cooling-off passes when a test moves it
  let clock = new Date('2026-11-25T08:00:00.000Z');
  let keyN = 0;
  const key = () => `k-${schema}-${++keyN}`;

  let creds: TestCredentials;
  // the finance operator a call acts as: its own token (alice unless said; no body names it); null sends no credentials at all
  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, idempotencyKey: string | null = key(), as: string | null = 'alice') => {
    const authorization = as === null ? '' : authorizationFor(await creds.operator(as, ['finance']), method, url);
    return app.inject({ method, url, headers: { authorization, ...(idempotencyKey && method !== 'GET' ? { 'idempotency-key': idempotencyKey } : {}) }, ...(body === undefined ? {} : { payload: body as object }) });
  };

  const account = (n: string) => ({ bankCode: '102100099996', accountNo: `62220200000000${n}`, accountName: 'Tea House Ltd' });
  const onboarding = (merchantId: string, extra: Record<string, unknown> = {}) => ({
    merchantId,
    legalName: 'Tea House Ltd',
    contact: { name: 'Li Wei', email: 'finance@teahouse.example', phone: '+86 138 0013 8000' },
    terms: { schedule: 't_plus_n', nDays: 1, cutoffTime: '22:00', feePlan: { rateBps: 60 }, payoutAccount: account('00001') },
    ...extra,
  });
  const snapshots = (merchantId: string) =>
    events.on<MerchantSnapshot>(t(TOPICS.merchantUpdated), (m) => m.value.merchantId === merchantId).map((m) => m.value);
  const notices = (merchantId: string) =>
    events.on<MerchantPayoutAccountChange>(t(TOPICS.merchantPayoutAccountChange), (m) => m.value.merchantId === merchantId).map((m) => m.value);

  beforeAll(async () => {
    const config = loadMerchantConfig(await testServiceEnv('MERCHANT', { schema, topicPrefix: prefix }, { MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: String(COOLING_OFF_MS), MERCHANT_PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS: '3600000' }));
    config.registry.now = () => clock;
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    ds = app.get(Platform, { strict: false }).ds;
    job = app.get(PayoutAccountChangeJob, { strict: false });
    events = await new TopicCollector([t(TOPICS.merchantRegistered), t(TOPICS.merchantUpdated), t(TOPICS.merchantPayoutAccountChange)]).start();
  });

  afterAll(async () => {
    await events?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('onboards a merchant once per Idempotency-Key, emits its snapshot at version 1 and audits it', async () => {
    const k = key();
    const first = await call('POST', '/merchants', onboarding('m-onboard'), k);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ merchantId: 'm-onboard', version: 1, status: 'active', replayed: false, terms: { schedule: 't_plus_n', nDays: 1, feePlan: { rateBps: 60, fixedMinor: '0', maxMinor: null }, payoutAccount: account('00001') } });

    const again = await call('POST', '/merchants', onboarding('m-onboard'), k);
    expect(again.json()).toMatchObject({ merchantId: 'm-onboard', version: 1, replayed: true });
    expect((await call('POST', '/merchants', onboarding('m-onboard', { legalName: 'Other' }), k)).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const taken = await call('POST', '/merchants', onboarding('m-onboard'));
    expect([taken.statusCode, taken.json().error.code]).toEqual([409, 'MERCHANT_ALREADY_REGISTERED']);
    // a key is its operator's own: bob's k is bob's request (here: the merchant exists already), not alice's replayed
    const bobs = await call('POST', '/merchants', onboarding('m-onboard'), k, 'bob');
    expect([bobs.statusCode, bobs.json().error.code]).toEqual([409, 'MERCHANT_ALREADY_REGISTERED']);
    expect((await call('POST', '/merchants', onboarding('m-onboard-bob'), k, 'bob')).json()).toMatchObject({ merchantId: 'm-onboard-bob', replayed: false });

    const registered = await waitFor(() => events.on<MerchantSnapshot>(t(TOPICS.merchantRegistered), (m) => m.value.merchantId === 'm-onboard')[0], 20_000, 'merchant.registered.v1');
    expect(registered.key).toBe('m-onboard');
    expect(registered.value).toMatchObject({ version: 1, status: 'active', legalName: 'Tea House Ltd', terms: { payoutAccount: account('00001') } });
    const audit = await auditRowsAbout(ds.manager, 'merchant:m-onboard');
    expect(audit.map((r) => [r.action, r.actor])).toEqual([['merchant.registered', 'operator:alice']]);
    expect(JSON.stringify(audit[0]!.details)).not.toContain('6222020000000000001');
    expect((await call('GET', '/merchants/m-onboard')).json()).toMatchObject({ merchantId: 'm-onboard', version: 1 });
  });

  it.each([
    ['no payout account', { payoutAccount: undefined }, 'terms.payoutAccount'],
    ['a bank code of 11 digits', { payoutAccount: { ...account('00001'), bankCode: '10210009999' } }, 'terms.payoutAccount.bankCode'],
    ['a bank code with letters', { payoutAccount: { ...account('00001'), bankCode: 'ICBC00009999' } }, 'terms.payoutAccount.bankCode'],
    ['an account number of 7 digits', { payoutAccount: { ...account('00001'), accountNo: '6222020' } }, 'terms.payoutAccount.accountNo'],
    ['an account number of 33 digits', { payoutAccount: { ...account('00001'), accountNo: '6'.repeat(33) } }, 'terms.payoutAccount.accountNo'],
    ['an account number with a dash', { payoutAccount: { ...account('00001'), accountNo: '6222-0200-0000-0001' } }, 'terms.payoutAccount.accountNo'],
    ['no account name', { payoutAccount: { ...account('00001'), accountName: ' ' } }, 'terms.payoutAccount.accountName'],
  ])('refuses onboarding with %s (MERCHANT_PAYOUT_ACCOUNT_INVALID) and registers nothing', async (_name, patch, field) => {
    const body = onboarding('m-bad-account');
    const res = await call('POST', '/merchants', { ...body, terms: { ...body.terms, ...patch } });
    expect([res.statusCode, res.json().error.code, res.json().error.field]).toEqual([422, 'MERCHANT_PAYOUT_ACCOUNT_INVALID', field]);
    expect((await call('GET', '/merchants/m-bad-account')).statusCode).toBe(404);
  });

  it('refuses a body naming its operator on every write (VALIDATION_FAILED), changing nothing: the operator is the token\'s', async () => {
    await call('POST', '/merchants', onboarding('m-claims'));
    const refusals = [
      await call('POST', '/merchants', onboarding('m-claimed', { by: 'bob' })),
      await call('PATCH', '/merchants/m-claims', { legalName: 'Claimed', by: 'bob' }),
      await call('POST', '/merchants/m-claims/suspend', { reason: 'x', operator: 'bob' }),
      await call('POST', '/merchants/m-claims/payout-account-changes', { account: account('00002'), proposedBy: 'bob' }),
    ];
    expect(refusals.map((r) => [r.statusCode, r.json().error.code])).toEqual(Array(4).fill([400, 'VALIDATION_FAILED']));
    expect(refusals.map((r) => r.json().error.field)).toEqual(['by', 'by', 'operator', 'proposedBy']);
    expect((await call('GET', '/merchants/m-claimed')).statusCode).toBe(404);
    expect((await call('GET', '/merchants/m-claims')).json()).toMatchObject({ version: 1, status: 'active', legalName: 'Tea House Ltd' });
    expect((await call('GET', '/merchants/m-claims/payout-account-changes')).json().changes).toEqual([]);
    expect((await auditRowsAbout(ds.manager, 'merchant:m-claims')).map((r) => [r.action, r.actor])).toEqual([['merchant.registered', 'operator:alice']]);
  });

  it('updates terms at the next version, keeps the payout account, and refuses an account in the update', async () => {
    await call('POST', '/merchants', onboarding('m-update'));
    const res = await call('PATCH', '/merchants/m-update', { terms: { schedule: 'realtime', nDays: 0, feePlan: { rateBps: 80, fixedMinor: '30' } }, expectedVersion: 1 }, key(), 'bob');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 2, terms: { schedule: 'realtime', cutoffTime: '22:00', feePlan: { rateBps: 80, fixedMinor: '30' }, payoutAccount: account('00001') } });
    expect((await call('PATCH', '/merchants/m-update', { legalName: 'X', expectedVersion: 1 })).json().error.code).toBe('MERCHANT_VERSION_CONFLICT');
    const withAccount = await call('PATCH', '/merchants/m-update', { terms: { payoutAccount: account('00009') } });
    expect([withAccount.statusCode, withAccount.json().error.field]).toEqual([400, 'terms.payoutAccount']);
    const snapshot = await waitFor(() => snapshots('m-update').find((s) => s.version === 2), 20_000, 'merchant.updated.v1 v2');
    expect(snapshot.terms).toMatchObject({ schedule: 'realtime', payoutAccount: account('00001') });
    expect((await auditRowsAbout(ds.manager, 'merchant:m-update')).map((r) => [r.action, r.actor])).toEqual([
      ['merchant.registered', 'operator:alice'],
      ['merchant.updated', 'operator:bob'],
    ]);
  });

  it('suspends, reactivates and closes along the status table; closed is final', async () => {
    await call('POST', '/merchants', onboarding('m-status'));
    expect((await call('POST', '/merchants/m-status/suspend', { reason: 'chargebacks' })).json()).toMatchObject({ status: 'suspended', version: 2 });
    expect((await call('POST', '/merchants/m-status/suspend', {})).json().error.code).toBe('MERCHANT_STATUS_TRANSITION_INVALID');
    expect((await call('POST', '/merchants/m-status/reactivate', {})).json()).toMatchObject({ status: 'active', version: 3 });
    expect((await call('POST', '/merchants/m-status/close', {})).json()).toMatchObject({ status: 'closed', version: 4 });
    const back = await call('POST', '/merchants/m-status/reactivate', {});
    expect([back.statusCode, back.json().error.code]).toEqual([409, 'MERCHANT_STATUS_TRANSITION_INVALID']);
    expect((await call('PATCH', '/merchants/m-status', { legalName: 'Reborn' })).json().error.code).toBe('MERCHANT_CLOSED');
    expect((await call('POST', '/merchants/m-status/payout-account-changes', { account: account('00002') }, key(), 'alice')).json().error.code).toBe('MERCHANT_CLOSED');
    await waitFor(() => (snapshots('m-status').some((s) => s.version === 4 && s.status === 'closed') ? true : undefined), 20_000, 'the closed snapshot');
    expect((await call('GET', '/merchants?status=closed')).json().merchants.map((m: { merchantId: string }) => m.merchantId)).toContain('m-status');
  });

  describe('four-eyes payout account change', () => {
    it('needs a second operator, and takes effect only after the cooling-off, once', async () => {
      await call('POST', '/merchants', onboarding('m-4eyes'));
      const proposed = await call('POST', '/merchants/m-4eyes/payout-account-changes', { account: account('00002') }, key(), 'alice');
      expect(proposed.statusCode).toBe(201);
      const changeId = proposed.json().changeId as string;
      expect(proposed.json()).toMatchObject({ state: 'proposed', proposedBy: 'operator:alice', account: { bankCode: '102100099996', accountLast4: '0002' } });
      expect((await call('POST', '/merchants/m-4eyes/payout-account-changes', { account: account('00003') }, key(), 'carol')).json().error.code).toBe('PAYOUT_ACCOUNT_CHANGE_PENDING');

      const self = await call('POST', `/merchants/m-4eyes/payout-account-changes/${changeId}/approve`, {}, key(), 'alice');
      expect([self.statusCode, self.json().error.code]).toEqual([403, 'PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR']);
      const anonymous = await call('POST', `/merchants/m-4eyes/payout-account-changes/${changeId}/approve`, {}, key(), null);
      expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'AUTH_MISSING']);
      // a body naming its operator is refused: alice's token claiming to be bob approves nothing
      const claimed = await call('POST', `/merchants/m-4eyes/payout-account-changes/${changeId}/approve`, { by: 'bob' }, key(), 'alice');
      expect([claimed.statusCode, claimed.json().error.code, claimed.json().error.field]).toEqual([400, 'VALIDATION_FAILED', 'by']);
      expect((await call('GET', '/merchants/m-4eyes/payout-account-changes')).json().changes).toEqual([expect.objectContaining({ changeId, state: 'proposed', approvedBy: null })]);

      const approvedAt = clock;
      const approved = await call('POST', `/merchants/m-4eyes/payout-account-changes/${changeId}/approve`, {}, key(), 'bob');
      expect(approved.json()).toMatchObject({ state: 'approved', approvedBy: 'operator:bob', effectiveAt: new Date(approvedAt.getTime() + COOLING_OFF_MS).toISOString() });
      expect((await call('POST', `/merchants/m-4eyes/payout-account-changes/${changeId}/reject`, {}, key(), 'carol')).json().error.code).toBe('PAYOUT_ACCOUNT_CHANGE_NOT_PENDING');

      // within the cooling-off: the old account stays in effect
      clock = new Date(approvedAt.getTime() + COOLING_OFF_MS - 1);
      expect(await job.runOnce()).toBe(0);
      expect((await call('GET', '/merchants/m-4eyes')).json()).toMatchObject({ version: 1, terms: { payoutAccount: account('00001') } });

      // due: two replicas' runs at once apply it once
      clock = new Date(approvedAt.getTime() + COOLING_OFF_MS);
      const applied = await Promise.all([job.runOnce(), job.runOnce()]);
      expect(applied.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await job.runOnce()).toBe(0);
      expect((await call('GET', '/merchants/m-4eyes')).json()).toMatchObject({ version: 2, terms: { payoutAccount: account('00002') } });

      await waitFor(() => (notices('m-4eyes').length === 3 && snapshots('m-4eyes').length === 1 ? true : undefined), 20_000, 'three notices and one update');
      expect(notices('m-4eyes').map((n) => [n.state, n.account.accountLast4, n.approvedBy ?? null])).toEqual([
        ['proposed', '0002', null],
        ['approved', '0002', 'operator:bob'],
        ['effective', '0002', 'operator:bob'],
      ]);
      expect(snapshots('m-4eyes')).toEqual([expect.objectContaining({ version: 2, terms: expect.objectContaining({ payoutAccount: account('00002') }) })]);
      expect((await auditRowsAbout(ds.manager, 'merchant:m-4eyes')).map((r) => [r.action, r.actor])).toEqual([
        ['merchant.registered', 'operator:alice'],
        ['payout_account_change.proposed', 'operator:alice'],
        ['payout_account_change.approved', 'operator:bob'],
        ['payout_account_change.effective', 'system:merchant-payout-account-change'],
      ]);
      expect(await verifyAuditChain(ds)).toMatchObject({ status: 'ok' });
    });

    it('can be rejected before approval and cancelled before it is effective; neither changes the account', async () => {
      await call('POST', '/merchants', onboarding('m-4eyes-no'));
      const first = (await call('POST', '/merchants/m-4eyes-no/payout-account-changes', { account: account('00005') }, key(), 'alice')).json().changeId as string;
      expect((await call('POST', `/merchants/m-4eyes-no/payout-account-changes/${first}/reject`, { note: 'not the contract' }, key(), 'bob')).json()).toMatchObject({ state: 'rejected', closedBy: 'operator:bob' });
      const second = (await call('POST', '/merchants/m-4eyes-no/payout-account-changes', { account: account('00006') }, key(), 'alice')).json().changeId as string;
      await call('POST', `/merchants/m-4eyes-no/payout-account-changes/${second}/approve`, {}, key(), 'bob');
      expect((await call('POST', `/merchants/m-4eyes-no/payout-account-changes/${second}/cancel`, {}, key(), 'alice')).json()).toMatchObject({ state: 'cancelled' });
      clock = new Date(clock.getTime() + 2 * COOLING_OFF_MS);
      await job.runOnce();
      expect((await call('GET', '/merchants/m-4eyes-no')).json()).toMatchObject({ version: 1, terms: { payoutAccount: account('00001') } });
      expect((await call('GET', '/merchants/m-4eyes-no/payout-account-changes')).json().changes.map((c: { state: string }) => c.state)).toEqual(['cancelled', 'rejected']);
      await waitFor(() => (notices('m-4eyes-no').length === 5 ? true : undefined), 20_000, 'five notices');
      expect(notices('m-4eyes-no').map((n) => n.state)).toEqual(['proposed', 'rejected', 'proposed', 'approved', 'cancelled']);
    });
  });
});
