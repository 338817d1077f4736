import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulatorApp, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { DEFAULT_RULE_SET } from '@paystream/risk/domain';
import { loadIdentitySettings } from '@paystream/risk/feature-assess-payment';
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DLQ_HEADERS, TOPICS, type RiskAssessmentRequested } from '@paystream/contracts';
import { auditRowsAbout, verifyAuditChain } from '@paystream/shared/audit-log';
import { authorizationFor } from '@paystream/shared/auth';
import { loadPlatformConfig, Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';

describe('risk on the real broker and database', () => {
  const prefix = uniqueTopicPrefix('risk');
  const schema = uniqueId('risk_');
  const requested = `${prefix}${TOPICS.riskAssessmentRequested}`;
  const decided = `${prefix}${TOPICS.riskAssessmentDecided}`;
  const failed = `${prefix}${TOPICS.paymentFailed}`;
  const succeeded = `${prefix}${TOPICS.paymentSucceeded}`;
  const refunded = `${prefix}${TOPICS.paymentRefunded}`;
  /** Held payments nobody reviews are rejected after this long (short, so the spec sees one expire). */
  const REVIEW_EXPIRY_MS = 5_000;
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-risk-keys-'));
  let emulator: NestFastifyApplication;
  let app: NestFastifyApplication;
  let creds: TestCredentials;
  // the operator a call acts as: its own token (a name in the body is a claim the service ignores)
  const as = async (operatorId: string) => ({ authorization: authorizationFor(await creds.operator(operatorId, ['risk']), 'GET', '/') });
  let upstream: RawProducer;
  let collector: TopicCollector;

  const request = (amountMinor: string, paymentId = randomUUID(), userId = 'u-1'): RiskAssessmentRequested => ({
    paymentId,
    orderId: `o-${paymentId.slice(0, 8)}`,
    merchantId: 'm-1',
    userId,
    amountMinor,
    currency: 'CNY',
    requestedAt: new Date().toISOString(),
  });
  const decisionsFor = (paymentId: string) => collector.on<{ decision: string; rejectReason?: { code: string } }>(decided, (m) => m.key === paymentId);
  const decisionFor = (paymentId: string) => waitFor(() => decisionsFor(paymentId)[0], 20_000, `decision for ${paymentId}`);

  beforeAll(async () => {
    ensureChannelKeys(keysDir);
    emulator = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, LOG_LEVEL: 'silent' }));
    await emulator.listen(0, '127.0.0.1');
    const env = await testServiceEnv('RISK', { schema, topicPrefix: prefix }, { CHANNEL_EMULATOR_URL: await emulator.getUrl(), CHANNEL_KEYS_DIR: keysDir });
    app = await startInProcessApp(AppModule.forRoot({ ...loadPlatformConfig('risk', env), identity: loadIdentitySettings(env), review: { expiryMs: REVIEW_EXPIRY_MS } }));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    // u-1 is verified on all four elements by m-1, the merchant of the payments here (level full: CNY 50,000 single, 200,000 a day); u-anon never registered (level none)
    const registered = await registerAtM1({ userId: 'u-1', name: '张伟', residentId: '11010519491231002X', phone: '13812345678', bankCard: '6225880137453008', address: { province: '北京市', city: '北京市', district: '朝阳区', street: '建国路1号' } });
    expect(registered.json()).toMatchObject({ level: 'full' });
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([decided, `${requested}.dlq`]).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  /** POST /identities as m-1 (an identity is the merchant's that registers it, and counts for that merchant's payments). */
  const registerAtM1 = async (identity: Record<string, unknown>) => {
    const payload = JSON.stringify(identity);
    return app.inject({ method: 'POST', url: '/identities', payload, headers: { 'content-type': 'application/json', ...creds.headers(await creds.merchant('m-1'), 'POST', '/identities', payload) } });
  };
  const big = request('5000001');
  const small = request('1200');
  /** Waits past the first decision so a wrongly repeated one would have time to arrive. */
  const settle = () => new Promise((res) => setTimeout(res, 750));

  it('approves at the single limit and rejects one minor unit over it', async () => {
    const ok = request('5000000');
    await upstream.sendEvent(requested, ok.paymentId, ok);
    await upstream.sendEvent(requested, big.paymentId, big);
    expect((await decisionFor(ok.paymentId)).value).toMatchObject({ decision: 'approve', score: 0, reasons: [] });
    expect((await decisionFor(big.paymentId)).value).toMatchObject({
      decision: 'reject',
      score: 1000,
      reasons: [{ ruleId: 'single-limit' }],
      rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED', retryable: false },
    });
    const stored = await app.inject({ method: 'GET', url: `/risk/decisions/${big.paymentId}` });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toMatchObject({ decision: 'reject', amountMinor: '5000001', reasons: [{ ruleId: 'single-limit' }] });
  });

  it('decides once when the same event id is delivered twice', async () => {
    const id = await upstream.sendEvent(requested, small.paymentId, small);
    await upstream.sendEvent(requested, small.paymentId, small, { id });
    await decisionFor(small.paymentId);
    await settle();
    expect(decisionsFor(small.paymentId)).toHaveLength(1);
  });

  it('answers a new request for a decided payment with the stored decision, not a new one', async () => {
    // the amounts changed: deciding anew would flip both outcomes
    await upstream.sendEvent(requested, small.paymentId, { ...small, amountMinor: '9000000' });
    await upstream.sendEvent(requested, big.paymentId, { ...big, amountMinor: '100' });
    for (const paymentId of [small.paymentId, big.paymentId]) {
      await waitFor(() => (decisionsFor(paymentId).length >= 2 ? true : undefined), 20_000, `the repeated decision for ${paymentId}`);
    }
    await settle();
    for (const paymentId of [small.paymentId, big.paymentId]) {
      const [first, second, ...more] = decisionsFor(paymentId);
      expect(more).toHaveLength(0);
      expect(second?.value).toEqual(first?.value);
    }
    expect(decisionsFor(small.paymentId)[1]?.value).toMatchObject({ decision: 'approve' });
    expect(decisionsFor(big.paymentId)[1]?.value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED' } });
    const stats = (await app.inject({ method: 'GET', url: '/risk/stats' })).json();
    expect(stats).toMatchObject({ assessed: 3, approved: 2, review: 0, rejected: 1 });
    expect(stats.pRisk).toBeCloseTo(1 / 3);
  });

  it('dead-letters a malformed request and keeps deciding the ones behind it', async () => {
    const after = request('300');
    // same key, so the good request waits behind the bad one on one partition
    await upstream.sendEvent(requested, after.paymentId, { ...request('100'), paymentId: 'not-a-uuid' });
    await upstream.sendEvent(requested, after.paymentId, after);
    expect((await decisionFor(after.paymentId)).value).toMatchObject({ decision: 'approve' });
    const dlq = await waitFor(() => collector.on(`${requested}.dlq`)[0], 20_000, 'dead letter');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('paymentId');
  });

  it('answers HTTP with stable errors, health and metrics', async () => {
    const invalid = await app.inject({ method: 'GET', url: '/risk/decisions/nope' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('VALIDATION_FAILED');
    const absent = await app.inject({ method: 'GET', url: `/risk/decisions/${randomUUID()}` });
    expect(absent.statusCode).toBe(404);
    expect(absent.json().error.code).toBe('RESOURCE_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    // 4 assessed so far (3 approved, 1 rejected); repeated requests are not counted again
    expect(metrics).toMatch(/paystream_risk_assessments_total\{[^}]*decision="approve"[^}]*\} 3\n/);
    expect(metrics).toMatch(/paystream_risk_assessments_total\{[^}]*decision="reject"[^}]*\} 1\n/);
    expect(metrics).toMatch(/paystream_p_risk\{[^}]*\} 0\.25\n/);
  });
  it('holds an unverified user to the lowest level: over its single limit asks for verification, and the daily limit is a reservation a failure releases', async () => {
    const over = request('200001', randomUUID(), 'u-anon');
    await upstream.sendEvent(requested, over.paymentId, over);
    expect((await decisionFor(over.paymentId)).value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_IDENTITY_UNVERIFIED' } });
    // CNY 5,000 a day: two of CNY 2,000 fit, the third does not
    const [a, b, c] = [request('200000', randomUUID(), 'u-anon'), request('200000', randomUUID(), 'u-anon'), request('200000', randomUUID(), 'u-anon')];
    for (const r of [a, b, c]) {
      await upstream.sendEvent(requested, r.paymentId, r);
      await decisionFor(r.paymentId);
    }
    expect([a, b, c].map((r) => decisionsFor(r.paymentId)[0]!.value.decision)).toEqual(['approve', 'approve', 'reject']);
    expect(decisionsFor(c.paymentId)[0]!.value).toMatchObject({ rejectReason: { code: 'RISK_DAILY_LIMIT_EXCEEDED' } });
    // another merchant's u-anon is another shopper (merchants choose their users' ids): its day is its own
    const elsewhere = { ...request('200000', randomUUID(), 'u-anon'), merchantId: 'm-2' };
    await upstream.sendEvent(requested, elsewhere.paymentId, elsewhere);
    expect((await decisionFor(elsewhere.paymentId)).value).toMatchObject({ decision: 'approve' });
    // a's payment fails: its reservation is released, and the limit it held is free again
    await upstream.sendEvent(failed, a.orderId, {
      paymentId: a.paymentId,
      orderId: a.orderId,
      merchantId: a.merchantId,
      userId: a.userId,
      amountMinor: a.amountMinor,
      currency: 'CNY',
      reason: { code: 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', message: 'declined', retryable: false },
      failedAt: new Date().toISOString(),
    });
    const d = request('200000', randomUUID(), 'u-anon');
    await waitFor(async () => {
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return /paystream_risk_limit_reservations_total\{[^}]*action="release"[^}]*\} 1\n/.test(metrics) ? true : undefined;
    }, 20_000, 'the release of a\'s reservation');
    await upstream.sendEvent(requested, d.paymentId, d);
    expect((await decisionFor(d.paymentId)).value).toMatchObject({ decision: 'approve' });
  });

  it('holds nothing for a payment whose failure was told before its assessment (a replay, reordering)', async () => {
    const userId = uniqueId('u-early');
    const early = request('200000', randomUUID(), userId);
    await upstream.sendEvent(failed, early.orderId, {
      paymentId: early.paymentId,
      orderId: early.orderId,
      merchantId: early.merchantId,
      userId,
      amountMinor: early.amountMinor,
      currency: 'CNY',
      reason: { code: 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', message: 'declined', retryable: false },
      failedAt: new Date().toISOString(),
    });
    const db = app.get(Platform).ds;
    await waitFor(async () => ((await db.query(`SELECT 1 FROM limit_reservation WHERE payment_id = $1`, [early.paymentId])).length === 1 ? true : undefined), 20_000, 'the failure to be seen');
    await upstream.sendEvent(requested, early.paymentId, early);
    await decisionFor(early.paymentId);
    expect(await db.query(`SELECT status FROM limit_reservation WHERE payment_id = $1`, [early.paymentId])).toEqual([{ status: 'RELEASED' }]);
    expect(await db.query(`SELECT used_minor::text AS used FROM limit_usage WHERE subject_id = $1 AND used_minor > 0`, [userId])).toEqual([]);
  });

  it('gives the daily limit back once partial refunds add up to the whole payment, a refund told twice counting once', async () => {
    const userId = uniqueId('u-refunds');
    // unverified: CNY 2,000 a payment, 5,000 a day, all of it used
    const [whole, filler, rest, next] = [request('200000', randomUUID(), userId), request('200000', randomUUID(), userId), request('100000', randomUUID(), userId), request('200000', randomUUID(), userId)];
    for (const r of [whole, filler, rest]) {
      await upstream.sendEvent(requested, r.paymentId, r);
      expect((await decisionFor(r.paymentId)).value).toMatchObject({ decision: 'approve' });
    }
    const refund = (refundId: string, amountMinor: string) =>
      upstream.sendEvent(refunded, whole.paymentId, {
        refundId,
        paymentId: whole.paymentId,
        orderId: whole.orderId,
        merchantId: whole.merchantId,
        amountMinor,
        currency: 'CNY',
        refundedAt: new Date().toISOString(),
      });
    const status = async () => {
      const [row]: { status: string }[] = await app.get(Platform).ds.query(`SELECT status FROM limit_reservation WHERE payment_id = $1`, [whole.paymentId]);
      return row?.status;
    };
    const first = randomUUID();
    // the same refund of 1,200 told twice (a new event id each time) and one of 400: 1,600 of 2,000 refunded, the hold stays
    await refund(first, '120000');
    await refund(first, '120000');
    await refund(randomUUID(), '40000');
    await waitFor(async () => {
      const [row]: { n: number }[] = await app.get(Platform).ds.query(`SELECT count(*)::int AS n FROM limit_refund WHERE payment_id = $1`, [whole.paymentId]);
      return row!.n === 2 ? true : undefined;
    }, 20_000, 'two refunds recorded');
    expect(await status()).toBe('RESERVED');
    // the last 400 completes the amount: the day has 2,000 free again
    await refund(randomUUID(), '40000');
    await waitFor(async () => ((await status()) === 'RELEASED' ? true : undefined), 20_000, 'the release of the refunded payment');
    await upstream.sendEvent(requested, next.paymentId, next);
    expect((await decisionFor(next.paymentId)).value).toMatchObject({ decision: 'approve' });
  });

  it('holds a payment far above the user\'s history for review; a person approves or rejects it, and nobody reviewing it rejects it in time', async () => {
    const registered = await registerAtM1({ userId: 'u-rev', name: '李娜', residentId: '110105198001010032', phone: '13912345678', bankCard: '6225880137453008', address: { province: '北京市', city: '北京市', district: '朝阳区', street: '建国路2号' } });
    expect(registered.json()).toMatchObject({ level: 'full' });
    // a history of three CNY 100 payments that went through
    const usual = [1, 2, 3].map(() => request('10000', randomUUID(), 'u-rev'));
    for (const r of usual) {
      await upstream.sendEvent(requested, r.paymentId, r);
      expect((await decisionFor(r.paymentId)).value).toMatchObject({ decision: 'approve' });
      await upstream.sendEvent(succeeded, r.orderId, {
        paymentId: r.paymentId, orderId: r.orderId, merchantId: r.merchantId, userId: r.userId, amountMinor: r.amountMinor, currency: 'CNY',
        channel: 'alipay', channelTradeNo: `T${r.paymentId.slice(0, 8)}`, succeededAt: new Date().toISOString(),
      });
    }
    await waitFor(async () => (/paystream_risk_limit_reservations_total\{[^}]*action="commit"[^}]*\} 3\n/.test((await app.inject({ method: 'GET', url: '/metrics' })).body) ? true : undefined), 20_000, 'three commits');

    // three payments of CNY 2,000: over 10x the usual, each held
    const [approveMe, rejectMe, forgetMe] = [1, 2, 3].map(() => request('200000', randomUUID(), 'u-rev'));
    for (const r of [approveMe, rejectMe, forgetMe]) {
      await upstream.sendEvent(requested, r!.paymentId, r!);
      expect((await decisionFor(r!.paymentId)).value).toMatchObject({ decision: 'review', reasons: [{ ruleId: 'amount-above-history' }] });
    }
    const queue = (await app.inject({ method: 'GET', url: '/risk/reviews' })).json().reviews as { paymentId: string; reasons: unknown[] }[];
    expect(queue.map((q) => q.paymentId)).toEqual(expect.arrayContaining([approveMe!.paymentId, rejectMe!.paymentId, forgetMe!.paymentId]));

    const verdict = async (r: RiskAssessmentRequested, action: 'approve' | 'reject', reviewer = 'alice', payload: Record<string, unknown> = { note: 'called the shopper' }, key: string | null = randomUUID()) =>
      app.inject({ method: 'POST', url: `/risk/reviews/${r.paymentId}/${action}`, headers: { ...(await as(reviewer)), ...(key === null ? {} : { 'idempotency-key': key }) }, payload });
    expect((await verdict(approveMe!, 'approve', 'alice', undefined, null)).json().error.code).toBe('IDEMPOTENCY_KEY_MISSING');
    // a body naming its reviewer is refused: the reviewer is the token's operator, and nothing moves
    const claimed = await verdict(approveMe!, 'approve', 'alice', { reviewer: 'bob', note: 'bob said so' });
    expect([claimed.statusCode, claimed.json().error]).toEqual([400, expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'reviewer' })]);
    expect(((await app.inject({ method: 'GET', url: '/risk/reviews' })).json().reviews as { paymentId: string }[]).map((q) => q.paymentId)).toContain(approveMe!.paymentId);
    const approved = await verdict(approveMe!, 'approve', 'alice', undefined, 'rev-k-1');
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ review: { status: 'APPROVED', by: 'alice', note: 'called the shopper' } });
    // the same key and body: the first answer again; the same key for another verdict or note: refused
    const replayed = await verdict(approveMe!, 'approve', 'alice', undefined, 'rev-k-1');
    expect([replayed.statusCode, replayed.headers['idempotent-replayed'], replayed.json()]).toEqual([200, 'true', approved.json()]);
    expect((await verdict(approveMe!, 'approve', 'alice', { note: 'another note' }, 'rev-k-1')).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await verdict(approveMe!, 'reject', 'alice', undefined, 'rev-k-1')).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // keys are the operator's own: bob's rev-k-1 is his own request (too late: already approved)
    expect((await verdict(approveMe!, 'reject', 'bob', undefined, 'rev-k-1')).json().error.code).toBe('REVIEW_NOT_PENDING');
    expect((await verdict(approveMe!, 'approve')).statusCode).toBe(200); // the same verdict again under a new key: a repeat
    expect((await verdict(approveMe!, 'reject', 'bob')).json()).toMatchObject({ error: { code: 'REVIEW_NOT_PENDING' } });
    expect((await verdict(rejectMe!, 'reject')).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/risk/reviews/${rejectMe!.paymentId}/approve`, headers: { 'idempotency-key': randomUUID() }, payload: { reviewer: '' } })).statusCode).toBe(400);

    const second = (r: RiskAssessmentRequested) => waitFor(() => decisionsFor(r.paymentId)[1], 20_000, `the review outcome of ${r.paymentId}`);
    expect((await second(approveMe!)).value).toMatchObject({ decision: 'approve' });
    expect((await second(rejectMe!)).value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_REVIEW_REJECTED', message: expect.stringContaining('alice') } });
    // nobody reviews the third: it expires, rejected
    expect((await second(forgetMe!)).value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_REVIEW_REJECTED', message: expect.stringContaining('expired') } });
    expect(((await app.inject({ method: 'GET', url: '/risk/reviews' })).json().reviews as { paymentId: string }[]).map((q) => q.paymentId)).not.toContain(forgetMe!.paymentId);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/paystream_risk_reviews_total\{[^}]*outcome="expired"[^}]*\} 1\n/);
    // each decision is in the audit chain once (not the repeat, not the refused late verdict), by the reviewer or the expiry job
    const db = app.get(Platform, { strict: false }).ds;
    const decided = async (r: RiskAssessmentRequested) => (await auditRowsAbout(db, `payment:${r.paymentId}`)).map((a) => [a.actor, a.action, (a.details as { decision: string }).decision]);
    expect(await decided(approveMe!)).toEqual([['operator:alice', 'review.decided', 'APPROVED']]);
    expect(await decided(rejectMe!)).toEqual([['operator:alice', 'review.decided', 'REJECTED']]);
    expect(await decided(forgetMe!)).toEqual([['system:review-expiry', 'review.decided', 'EXPIRED']]);
    expect(await verifyAuditChain(db)).toMatchObject({ status: 'ok' });
  });

  it('counts a card\'s failed payments from payment.failed.v1: after four, the next on the card is rejected as card testing, and the failures gave the card\'s cap back', async () => {
    const cardToken = `tok_${randomUUID().replace(/-/g, '')}`;
    const db = app.get(Platform, { strict: false }).ds;
    const onCard = (amountMinor: string) => ({ ...request(amountMinor, randomUUID(), 'u-card'), cardToken, deviceId: 'dev-card-1', ipAddress: '192.0.2.10' });
    const tries = [1, 2, 3, 4].map(() => onCard('9900'));
    for (const r of tries) {
      await upstream.sendEvent(requested, r.paymentId, r);
      expect((await decisionFor(r.paymentId)).value).toMatchObject({ decision: 'approve' });
      await upstream.sendEvent(failed, r.orderId, {
        paymentId: r.paymentId, orderId: r.orderId, merchantId: r.merchantId, userId: r.userId, amountMinor: r.amountMinor, currency: 'CNY',
        reason: { code: 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', message: 'declined', retryable: false }, failedAt: new Date().toISOString(),
      });
    }
    await waitFor(async () => {
      const [row] = await db.query(`SELECT count(*)::int AS n FROM risk_attempt WHERE card_token = $1 AND outcome = 'failed'`, [cardToken]);
      return row.n === 4 ? true : undefined;
    }, 20_000, 'four failed attempts on the card');
    const [cap] = await db.query(`SELECT used_minor::text AS used FROM limit_usage WHERE scope = 'card' AND subject_id = $1`, [cardToken]);
    expect(cap).toEqual({ used: '0' });
    const fifth = onCard('9900');
    await upstream.sendEvent(requested, fifth.paymentId, fifth);
    expect((await decisionFor(fifth.paymentId)).value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_ANOMALY', retryable: false }, reasons: [{ ruleId: 'card-testing' }] });
  });

  // these change the rule set for the rest of this file: keep them last; the default is published back at the end
  it('publishes anomaly rules as a new audited version, in force for the next payment; refuses an invalid document and a stale version', async () => {
    // the publisher is the token's operator (createdBy in the view); no body names it
    const rules = async (payload: Record<string, unknown>, operatorId = 'alice', key: string | null = randomUUID()) =>
      app.inject({ method: 'PUT', url: '/risk/rules', headers: { ...(await as(operatorId)), ...(key === null ? {} : { 'idempotency-key': key }) }, payload });
    const inForce = await app.inject({ method: 'GET', url: '/risk/rules' });
    expect(inForce.json()).toMatchObject({ version: 1, rules: DEFAULT_RULE_SET.rules, createdBy: 'system' });

    const tight = [
      { kind: 'blocklist', id: 'blocked-merchants', enabled: true, action: 'reject', score: 999, field: 'merchantId', values: ['m-blocked'] },
      { kind: 'velocity-user', id: 'velocity-tight', enabled: true, action: 'reject', score: 900, maxCount: 2, windowSeconds: 60 },
      ...DEFAULT_RULE_SET.rules.filter((r) => r.kind === 'amount-above-history'),
    ];
    const claimed = await rules({ expectedVersion: 1, createdBy: 'bob', reason: 'bob said so', rules: tight });
    expect([claimed.statusCode, claimed.json().error]).toEqual([400, expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'createdBy' })]);
    expect((await app.inject({ method: 'GET', url: '/risk/rules' })).json()).toMatchObject({ version: 1 });
    expect((await rules({ expectedVersion: 1, reason: 'no key', rules: tight }, 'alice', null)).json().error.code).toBe('IDEMPOTENCY_KEY_MISSING');
    const published = await rules({ expectedVersion: 1, reason: 'card testing from m-blocked', rules: tight }, 'alice', 'rules-k-1');
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ version: 2, createdBy: 'alice', reason: 'card testing from m-blocked', rules: tight });
    // a retry of the same PUT (the answer was lost) is answered the first result, not a version conflict; another body under the key is refused
    const retried = await rules({ expectedVersion: 1, reason: 'card testing from m-blocked', rules: tight }, 'alice', 'rules-k-1');
    expect([retried.statusCode, retried.headers['idempotent-replayed'], retried.json()]).toEqual([200, 'true', published.json()]);
    expect((await rules({ expectedVersion: 1, reason: 'something else', rules: tight }, 'alice', 'rules-k-1')).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // bob's rules-k-1 is bob's own request: a stale version for him
    expect((await rules({ expectedVersion: 1, reason: 'card testing from m-blocked', rules: tight }, 'bob', 'rules-k-1')).json().error.code).toBe('RISK_RULES_VERSION_CONFLICT');

    const invalid = await rules({ expectedVersion: 2, reason: 'oops', rules: [{ ...tight[1], windowSeconds: 0 }, { ...tight[0], id: 'velocity-tight' }] }, 'bob');
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error).toMatchObject({ code: 'RISK_RULES_INVALID', problems: expect.arrayContaining([expect.stringContaining('windowSeconds')]) });
    const stale = await rules({ expectedVersion: 1, reason: 'from an old screen', rules: [] }, 'bob');
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'RISK_RULES_VERSION_CONFLICT', currentVersion: 2 });
    expect((await app.inject({ method: 'GET', url: '/risk/rules' })).json()).toMatchObject({ version: 2, createdBy: 'alice' });
    // the publication is audited with the rules it put in force; the refused ones left no row
    const db = app.get(Platform, { strict: false }).ds;
    expect(await auditRowsAbout(db, 'rule_set:2')).toEqual([
      expect.objectContaining({ actor: 'operator:alice', action: 'rule_set.published', details: expect.objectContaining({ version: 2, previousVersion: 1, reason: 'card testing from m-blocked', rules: tight }) }),
    ]);
    expect(((await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'rule_set.published'`)) as { n: number }[])[0]!.n).toBe(1);

    const blocked = { ...request('100', randomUUID(), 'u-bl'), merchantId: 'm-blocked' };
    await upstream.sendEvent(requested, blocked.paymentId, blocked);
    expect((await decisionFor(blocked.paymentId)).value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_BLOCKLISTED' }, reasons: [{ ruleId: 'blocked-merchants' }] });

    const velo = [1, 2, 3].map(() => request('100', randomUUID(), 'u-velo'));
    for (const r of velo) {
      await upstream.sendEvent(requested, r.paymentId, r);
      await decisionFor(r.paymentId);
    }
    expect(velo.map((r) => decisionsFor(r.paymentId)[0]!.value.decision)).toEqual(['approve', 'approve', 'reject']);
    expect(decisionsFor(velo[2]!.paymentId)[0]!.value).toMatchObject({ rejectReason: { code: 'RISK_VELOCITY' } });

    const restored = await rules({ expectedVersion: 2, reason: 'back to the default', rules: DEFAULT_RULE_SET.rules });
    expect(restored.json()).toMatchObject({ version: 3, rules: DEFAULT_RULE_SET.rules });
    const history = (await app.inject({ method: 'GET', url: '/risk/rules/history' })).json();
    expect(history.versions.map((v: { version: number; createdBy: string; reason: string }) => [v.version, v.createdBy, v.reason])).toEqual([
      [3, 'alice', 'back to the default'],
      [2, 'alice', 'card testing from m-blocked'],
    ]);
  });
});
