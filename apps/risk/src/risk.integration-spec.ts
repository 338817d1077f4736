import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DLQ_HEADERS, TOPICS, type RiskAssessmentRequested } from '@paystream/contracts';
import { loadPlatformConfig, startInProcessApp } from '@paystream/shared/platform';
import { dropSchemas, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { AppModule } from './app.module';

describe('risk on the real broker and database', () => {
  const prefix = uniqueTopicPrefix('risk');
  const schema = uniqueId('risk_');
  const requested = `${prefix}${TOPICS.riskAssessmentRequested}`;
  const decided = `${prefix}${TOPICS.riskAssessmentDecided}`;
  let app: NestFastifyApplication;
  let upstream: RawProducer;
  let collector: TopicCollector;

  const request = (amountMinor: string, paymentId = randomUUID()): RiskAssessmentRequested => ({
    paymentId,
    orderId: `o-${paymentId.slice(0, 8)}`,
    merchantId: 'm-1',
    userId: 'u-1',
    amountMinor,
    currency: 'CNY',
    requestedAt: new Date().toISOString(),
  });
  const decisionsFor = (paymentId: string) => collector.on<{ decision: string; rejectReason?: { code: string } }>(decided, (m) => m.key === paymentId);
  const decisionFor = (paymentId: string) => waitFor(() => decisionsFor(paymentId)[0], 20_000, `decision for ${paymentId}`);

  beforeAll(async () => {
    const config = loadPlatformConfig('risk', testServiceEnv('RISK', { schema, topicPrefix: prefix }));
    app = await startInProcessApp(AppModule.forRoot(config));
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([decided, `${requested}.dlq`]).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('approves an ordinary payment and rejects one over the single limit', async () => {
    const ok = request('5000000');
    const big = request('5000001');
    await upstream.sendEvent(requested, ok.paymentId, ok);
    await upstream.sendEvent(requested, big.paymentId, big);
    expect((await decisionFor(ok.paymentId)).value).toMatchObject({ decision: 'approve', score: 0 });
    expect((await decisionFor(big.paymentId)).value).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED' } });
    const stored = await app.inject({ method: 'GET', url: `/risk/decisions/${big.paymentId}` });
    expect(stored.json()).toMatchObject({ decision: 'reject', amountMinor: '5000001', reasons: [{ ruleId: 'single-limit' }] });
  });

  it('decides once per event id, and answers a repeated request with the same decision', async () => {
    const r = request('1200');
    const id = await upstream.sendEvent(requested, r.paymentId, r);
    await upstream.sendEvent(requested, r.paymentId, r, { id });
    await upstream.sendEvent(requested, r.paymentId, r); // same payment, new event id
    await waitFor(() => (decisionsFor(r.paymentId).length >= 2 ? true : undefined), 20_000, 'the repeated decision');
    await new Promise((res) => setTimeout(res, 500));
    const decisions = decisionsFor(r.paymentId);
    expect(decisions).toHaveLength(2);
    expect(new Set(decisions.map((d) => JSON.stringify(d.value)))).toHaveProperty('size', 1);
    const stats = (await app.inject({ method: 'GET', url: '/risk/stats' })).json();
    expect(stats).toMatchObject({ assessed: 3, approved: 2, rejected: 1 });
    expect(stats.pRisk).toBeCloseTo(1 / 3);
  });

  it('dead-letters a malformed request and keeps deciding', async () => {
    await upstream.sendEvent(requested, 'bad', { ...request('100'), paymentId: 'not-a-uuid' });
    const after = request('300');
    await upstream.sendEvent(requested, after.paymentId, after);
    await decisionFor(after.paymentId);
    const dlq = await waitFor(() => collector.on(`${requested}.dlq`)[0], 20_000, 'dead letter');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('paymentId');
  });

  it('answers HTTP with stable errors, health and metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/risk/decisions/nope' })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await app.inject({ method: 'GET', url: `/risk/decisions/${randomUUID()}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    // 4 assessed so far (3 approved, 1 rejected)
    expect(metrics).toMatch(/paystream_p_risk\{[^}]*\} 0\.25\n/);
  });
});
