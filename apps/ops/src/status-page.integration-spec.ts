import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OpsModule, type OpsStatus } from '@paystream/ops/feature-monitor';
import { authorizationFor, type ClientCredential } from '@paystream/shared/auth';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { dropSchemas, testKafkaConfig, TestCredentials, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { loadOpsAppConfig } from './config';

/** Debian's Chromium (scripts/install-monitoring.sh installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..', '..');

/** A service standing in with a /health answer and a /metrics text the test can change. */
class StubService {
  healthStatus = 200;
  metrics = '';
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url === '/health') res.writeHead(this.healthStatus, { 'content-type': 'application/json' }).end('{}');
      else if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain' }).end(this.metrics);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  stop(): void {
    this.server?.close();
  }
}

describe('ops status page in headless Chromium', () => {
  const prefix = uniqueTopicPrefix('opspage');
  const schema = uniqueId('opspage_');
  const kafka = new Kafka({ clientId: uniqueId('opspage'), ...testKafkaConfig(), logLevel: logLevel.NOTHING });
  const stubs = { orderPayment: new StubService(), gateway: new StubService(), risk: new StubService(), settlement: new StubService() };
  let app: NestFastifyApplication;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  /** An sre's operator token (what the page asks for), and a finance operator's (not enough). */
  let sre: ClientCredential & { kind: 'bearer' };
  let finance: ClientCredential & { kind: 'bearer' };

  const statusJson = async () => (await (await fetch(`${baseUrl}/status.json`, { headers: { authorization: authorizationFor(sre, 'GET', '/status.json') } })).json()) as OpsStatus;
  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim();

  beforeAll(async () => {
    stubs.orderPayment.metrics = 'paystream_p_success{service="order-payment"} 0.9\n';
    stubs.gateway.metrics = [
      'paystream_channel_breaker_state{service="channel-gateway",channel="alipay",operation="charge"} 0',
      'paystream_channel_breaker_state{service="channel-gateway",channel="wechatpay",operation="charge"} 2',
      'paystream_channel_breaker_state{service="channel-gateway",channel="unionpay",operation="query"} 1',
    ].join('\n');
    stubs.risk.metrics = 'paystream_p_risk{service="risk"} 0.0625\n';
    stubs.settlement.metrics = 'paystream_p_settlement{service="settlement"} 1\n';
    stubs.settlement.healthStatus = 503; // answers, but not ready
    const [orderPayment, gateway, risk, settlement] = await Promise.all([stubs.orderPayment.start(), stubs.gateway.start(), stubs.risk.start(), stubs.settlement.start()]);

    // a group whose consumers are all gone, 4 messages behind; 2 dead letters
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: ['page.test.v1', 'page.test.v1.dlq'].map((t) => ({ topic: `${prefix}${t}`, numPartitions: 1 })), waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}page.test.v1`, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) });
    await producer.send({ topic: `${prefix}page.test.v1.dlq`, acks: -1, messages: [{ value: 'd1' }, { value: 'd2' }] });
    await producer.disconnect();
    await admin.setOffsets({ groupId: `${prefix}paystream.pagetest`, topic: `${prefix}page.test.v1`, partitions: [{ partition: 0, offset: '1' }] });
    await admin.disconnect();

    app = await startInProcessApp(
      OpsModule.forRoot(
        loadOpsAppConfig(
          await testServiceEnv('OPS', { schema, topicPrefix: prefix }, {
            OPS_POLL_INTERVAL_MS: '300',
            ORDER_PAYMENT_URL: orderPayment,
            CHANNEL_GATEWAY_URL: gateway,
            RISK_URL: risk,
            SETTLEMENT_URL: settlement,
            MERCHANT_URL: risk, // answers like a healthy service
          }),
        ),
      ),
    );
    const creds = new TestCredentials(app.get(Platform, { strict: false }).ds);
    sre = (await creds.operator('sam', ['sre'])) as ClientCredential & { kind: 'bearer' };
    finance = (await creds.operator('fiona', ['finance'])) as ClientCredential & { kind: 'bearer' };
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    for (const s of Object.values(stubs)) s.stop();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('asks for an sre token before it shows anything, and says when a token is not enough', async () => {
    await page.goto(baseUrl);
    await page.locator('#token-form').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('#figures').isVisible()).toBe(false);
    expect(await page.locator('[data-group]').count()).toBe(0);
    await page.fill('#token', finance.token);
    await page.click('#token-form button');
    await page.locator('#token-error', { hasText: 'no sre role (AUTH_FORBIDDEN)' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#figures').isVisible()).toBe(false);
    // a token handed over in the fragment is taken, and wiped from the address bar
    await page.goto(`${baseUrl}/#token=${encodeURIComponent(sre.token)}`);
    await page.locator('body[data-auth="ok"]').waitFor({ timeout: 20_000 });
    expect(page.url()).not.toContain('token');
    await page.click('#forget');
    await page.locator('#token-form').waitFor({ state: 'visible', timeout: 20_000 });
  });

  it('shows the figures of /status.json: services, groups, ratios, breakers and dead letters', async () => {
    await page.goto(baseUrl);
    await page.fill('#token', sre.token);
    await page.click('#token-form button');
    await page.waitForSelector('[data-group="paystream.pagetest"] .lag', { timeout: 20_000 });
    const status = await statusJson();

    for (const s of status.services) expect(await text(`[data-service="${s.service}"] .health`)).toBe(s.up ? 'up' : 'down');
    expect(status.services.map((s) => [s.service, s.up])).toEqual([
      ['order-payment', true],
      ['channel-gateway', true],
      ['risk', true],
      ['settlement', false],
      ['merchant', true],
    ]);

    const group = status.groups.find((g) => g.group === 'paystream.pagetest')!;
    expect(group).toMatchObject({ lagTotal: 4, members: 0, stalled: true, stallReason: 'no-members' });
    expect(await text('[data-group="paystream.pagetest"] .lag')).toBe('4');
    expect(await text('[data-group="paystream.pagetest"] .members')).toBe('0');
    expect(await text('[data-group="paystream.pagetest"] .state')).toBe('stalled (no-members)');

    expect(await text('[data-ratio="p_success"] .value')).toBe('90.0 %');
    expect(await text('[data-ratio="p_risk"] .value')).toBe('6.3 %'); // 0.0625 to one decimal
    expect(await text('[data-ratio="p_settlement"] .value')).toBe('100.0 %'); // not ready, yet its figures are read
    expect(status.ratios).toMatchObject({ p_success: { latest: 0.9 }, p_risk: { latest: 0.0625 }, p_settlement: { latest: 1 } });

    expect(await text('[data-breaker="alipay/charge"] .state')).toBe('closed');
    expect(await text('[data-breaker="wechatpay/charge"] .state')).toBe('open');
    expect(await text('[data-breaker="unionpay/query"] .state')).toBe('half-open');
    expect(await text('[data-topic="page.test.v1.dlq"] .messages')).toBe('2');
  });

  it('refreshes by itself and charts the history', async () => {
    stubs.orderPayment.metrics = 'paystream_p_success{service="order-payment"} 0.5\n';
    stubs.settlement.healthStatus = 200;
    // no reload: the page's own script fetches /status.json again
    await page.locator('[data-ratio="p_success"] .value', { hasText: '50.0 %' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-service="settlement"] .health.up').waitFor({ timeout: 20_000 });
    const points = await page.locator('[data-ratio="p_success"] polyline').getAttribute('points');
    const status = await statusJson();
    expect(status.ratios.p_success.points.length).toBeGreaterThanOrEqual(2);
    expect(points!.trim().split(/\s+/).length).toBeGreaterThanOrEqual(2);
    expect(new Set(status.ratios.p_success.points.map((p) => p.value))).toEqual(new Set([0.9, 0.5]));

    const dir = join(ROOT, '.run', 'ops');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'status-page.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.length).toBeGreaterThan(10_000);
  });
});
