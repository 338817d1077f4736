import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS, type PaymentSucceeded } from '@paystream/contracts';
import { LedgerRepository, MerchantProfileRepository, SettlementBatchRepository, SettlementItemRepository } from '@paystream/settlement/data-access';
import { ALL_MERCHANTS, merchantScope, type ClientCredential } from '@paystream/shared/auth';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, RawProducer, testDatabaseUrl, testMerchantSnapshot, testPayoutAccount, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

/**
 * Tenant isolation of settlement's merchant routes (docs/design/trust-boundary.md section 6): a
 * merchant reads its own settlements, balance, statement and terms; another merchant's answer
 * exactly as a missing one's; operators read every merchant's; a merchant's view of a settlement
 * shows the payout account by its last four digits.
 */
describe('settlement: a merchant sees only its own settlements', () => {
  const prefix = uniqueTopicPrefix('stl-tenant');
  const schema = uniqueId('stl_tenant_');
  const t = (topic: string) => `${prefix}${topic}`;
  const A = 'm-tenant-a';
  const B = 'm-tenant-b';
  const NEVER = 'm-tenant-never-registered';
  const accountA = testPayoutAccount('7731');
  let app: NestFastifyApplication;
  let creds: TestCredentials;
  let upstream: RawProducer;
  let collector: TopicCollector;
  let settlementOfA: string;

  /** A GET as this credential: status and body, the body's support reference (a fresh id per request) left out. */
  const getAs = async (credential: ClientCredential, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: creds.headers(credential, 'GET', url) });
    const body = res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : res.body;
    if (body && typeof body === 'object' && body.error) delete body.error.supportRef;
    return { status: res.statusCode, body };
  };
  const register = async (merchantId: string, account = testPayoutAccount()) => {
    await upstream.sendEvent(t(TOPICS.merchantRegistered), merchantId, testMerchantSnapshot(merchantId, { terms: { payoutAccount: account } }));
    const url = `/merchants/${merchantId}/settlement-terms`;
    await waitFor(async () => ((await getAs(await creds.operator(), url)).status === 200 ? true : undefined), 20_000, `${merchantId} copied`);
  };
  const succeeded = (merchantId: string, amountMinor: string): PaymentSucceeded => {
    const paymentId = randomUUID();
    return { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId, userId: 'u-1', amountMinor, currency: 'CNY', channel: 'alipay', channelTradeNo: `T${paymentId.slice(0, 8)}`, succeededAt: new Date().toISOString() };
  };

  beforeAll(async () => {
    const config = loadSettlementConfig(
      await testServiceEnv('SETTLEMENT', { schema, topicPrefix: prefix }, {
        // no payout is attempted while the spec runs: the settlements stay DUE
        SETTLEMENT_PAYOUT_INTERVAL_MS: '600000',
        SETTLEMENT_RUN_INTERVAL_MS: '86400000',
      }),
    );
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([t(TOPICS.settlementDue)]).start();
    await register(A, accountA);
    await register(B);
    // A's payment is booked and settled at once (real time): A has a settlement, a balance and a statement line
    const payment = succeeded(A, '123400');
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), payment.orderId, payment);
    const due = await waitFor(() => collector.on<{ settlementId: string }>(t(TOPICS.settlementDue), (m) => m.key === A)[0], 20_000, "A's settlement");
    settlementOfA = due.value.settlementId;
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it("answers merchant B's read of A's settlement exactly as a settlement that does not exist", async () => {
    const asB = await creds.merchant(B);
    const missing = randomUUID();
    const other = await getAs(asB, `/settlements/${settlementOfA}`);
    const none = await getAs(asB, `/settlements/${missing}`);
    expect(none).toMatchObject({ status: 404, body: { error: { code: 'SETTLEMENT_NOT_FOUND' } } });
    // the same status, code and message; the detail names the id asked for, as it does for a missing one
    expect(other).toEqual({ ...none, body: { error: { ...none.body.error, detail: none.body.error.detail.replace(missing, settlementOfA) } } });
    expect((await getAs(await creds.merchant(A), `/settlements/${settlementOfA}`)).status).toBe(200);
  });

  it("lists only the merchant's own settlements, whatever merchant the query names", async () => {
    const asB = await creds.merchant(B);
    expect((await getAs(asB, '/settlements')).body).toEqual({ settlements: [], nextBefore: null });
    // naming A answers as naming a merchant that does not exist: nothing
    expect((await getAs(asB, `/settlements?merchantId=${A}`)).body).toEqual({ settlements: [], nextBefore: null });
    expect((await getAs(asB, `/settlements?merchantId=${NEVER}`)).body).toEqual({ settlements: [], nextBefore: null });
    const own = await getAs(await creds.merchant(A), '/settlements');
    expect(own.body.settlements.map((s: { settlementId: string }) => s.settlementId)).toEqual([settlementOfA]);
  });

  it.each([
    ['balance', (m: string) => `/merchants/${m}/balance`],
    ['statement', (m: string) => `/merchants/${m}/statement.csv`],
    ['settlement terms', (m: string) => `/merchants/${m}/settlement-terms`],
  ])("answers merchant B's read of A's %s exactly as a merchant that does not exist: 404", async (_what, url) => {
    const asB = await creds.merchant(B);
    const other = await getAs(asB, url(A));
    expect(other).toEqual(await getAs(asB, url(NEVER)));
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'RESOURCE_NOT_FOUND' } } });
    expect((await getAs(await creds.merchant(A), url(A))).status).toBe(200);
  });

  it("shows A its balance and statement, and finance every merchant's settlements", async () => {
    const balance = await getAs(await creds.merchant(A), `/merchants/${A}/balance`);
    // settled at once: nothing owed any more, the settlement's net is in flight to A's account
    expect(balance.body).toMatchObject({ merchantId: A, balances: [{ currency: 'CNY', owedMinor: '0' }] });
    const statement = await getAs(await creds.merchant(A), `/merchants/${A}/statement.csv`);
    expect(statement.body).toContain(settlementOfA);
    const finance = await creds.operator('finance-ops', ['finance']);
    expect((await getAs(finance, `/settlements/${settlementOfA}`)).body).toMatchObject({ merchantId: A, netMinor: '122660' });
    expect((await getAs(finance, `/settlements?merchantId=${A}`)).body.settlements).toHaveLength(1);
    expect((await getAs(finance, `/merchants/${A}/balance`)).body).toMatchObject({ merchantId: A });
  });

  it('shows the merchant its payout account by the last four digits only; finance sees the account paid', async () => {
    const own = (await getAs(await creds.merchant(A), `/settlements/${settlementOfA}`)).body;
    expect(own).toMatchObject({ settlementId: settlementOfA, payoutAccountLast4: '7731' });
    expect(own).not.toHaveProperty('payoutAccountNo');
    expect(own).not.toHaveProperty('lastError');
    expect(JSON.stringify(own)).not.toContain(accountA.accountNo);
    const listed = (await getAs(await creds.merchant(A), '/settlements')).body.settlements[0];
    expect(JSON.stringify(listed)).not.toContain(accountA.accountNo);
    expect(listed).toMatchObject({ payoutAccountLast4: '7731' });
    const finance = await creds.operator('finance-ops', ['finance']);
    expect((await getAs(finance, `/settlements/${settlementOfA}`)).body).toMatchObject({ payoutAccountNo: accountA.accountNo, lastError: null });
  });

  it("scopes the queries themselves: in B's scope none of A's rows is read", async () => {
    const db = app.get(Platform, { strict: false }).ds.manager;
    const batches = app.get(SettlementBatchRepository, { strict: false });
    const items = app.get(SettlementItemRepository, { strict: false });
    const ledger = app.get(LedgerRepository, { strict: false });
    const profiles = app.get(MerchantProfileRepository, { strict: false });
    for (const [scope, sees] of [[merchantScope(B), false], [merchantScope(A), true], [ALL_MERCHANTS, true]] as const) {
      expect((await batches.findById(db, scope, settlementOfA)) !== undefined).toBe(sees);
      expect((await batches.list(db, scope, { merchantId: A, limit: 10 })).length > 0).toBe(sees);
      expect((await items.forSettlements(db, scope, [settlementOfA])).size > 0).toBe(sees);
      expect((await ledger.merchantAccounts(db, scope, A)).length > 0).toBe(sees);
      expect((await profiles.findInScope(db, scope, A)) !== undefined).toBe(sees);
    }
  });
});
