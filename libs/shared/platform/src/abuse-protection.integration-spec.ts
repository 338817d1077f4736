import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Allow, StrictRateLimit } from '@paystream/shared/auth';
import { dropSchemas, TestCredentials, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { loadPlatformConfig } from './config';
import { startInProcessApp } from './in-process-app';
import { Platform } from './platform';
import { PlatformModule } from './platform.module';

/** What the routes did: a request refused 429 must not show up here. */
const handled: string[] = [];

@Controller()
class ProbeController {
  @Post('things')
  @Allow('merchant')
  @HttpCode(201)
  create(@Body() body: { n?: number }) {
    handled.push(`things ${body.n}`);
    return { ok: true };
  }

  @Post('oracle')
  @Allow('merchant')
  @StrictRateLimit('card-tokenize')
  @HttpCode(201)
  ask(@Body() body: { n?: number }) {
    handled.push(`oracle ${body.n}`);
    return { ok: true };
  }

  @Get('figures')
  @Allow('operator:sre')
  figures() {
    return { ok: true };
  }
}

describe('abuse protection: rate limits per client address and per credential, on a real app', () => {
  const schema = uniqueId('abuse_');
  let app: NestFastifyApplication;
  let platform: Platform;
  let creds: TestCredentials;

  beforeAll(async () => {
    const config = loadPlatformConfig(
      'order-payment',
      await testServiceEnv('ORDER_PAYMENT', { schema, topicPrefix: uniqueTopicPrefix('abuse') }, {
        // one request per second sustained, after a burst of: 5 per address, 3 per merchant key, 1 on the strict route
        RATE_LIMIT_CLIENT_ADDRESS_REQUESTS_PER_S: '1',
        RATE_LIMIT_CLIENT_ADDRESS_BURST_REQUESTS: '5',
        RATE_LIMIT_MERCHANT_KEY_REQUESTS_PER_S: '1',
        RATE_LIMIT_MERCHANT_KEY_BURST_REQUESTS: '3',
        RATE_LIMIT_OPERATOR_TOKEN_REQUESTS_PER_S: '1',
        RATE_LIMIT_OPERATOR_TOKEN_BURST_REQUESTS: '2',
        RATE_LIMIT_CARD_TOKENIZE_REQUESTS_PER_S: '0.25',
        RATE_LIMIT_CARD_TOKENIZE_BURST_REQUESTS: '1',
      }),
    );
    @Module({ imports: [PlatformModule.forRoot({ config, migrations: [], producesTopics: [] })], controllers: [ProbeController] })
    class ProbeModule {}
    app = await startInProcessApp(ProbeModule);
    platform = app.get(Platform, { strict: false });
    creds = new TestCredentials(platform.ds);
  });

  afterAll(async () => {
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  beforeEach(() => {
    handled.length = 0;
  });

  const post = async (url: string, from: string, credential: Awaited<ReturnType<TestCredentials['merchant']>> | undefined, n: number, headers: Record<string, string> = {}) => {
    const payload = JSON.stringify({ n });
    return app.inject({
      method: 'POST',
      url,
      remoteAddress: from,
      payload,
      headers: { 'content-type': 'application/json', ...(credential ? creds.headers(credential, 'POST', url, payload) : {}), ...headers },
    });
  };
  const limited = async () => (await platform.registry.getSingleMetric('paystream_rate_limited_total')!.get()).values.map((v) => ({ ...v.labels, n: v.value }));
  const refusals = async () => (await platform.registry.getSingleMetric('paystream_auth_refusals_total')!.get()).values.reduce((n, v) => n + v.value, 0);
  const nonces = async () => Number((await platform.ds.query(`SELECT count(*)::int AS n FROM auth_nonce`))[0].n);

  it('stops a flood of bad signatures from one address with 429 RATE_LIMITED and Retry-After, before their credentials are looked up', async () => {
    const key = await creds.merchant('m-flood');
    const forged = { ...key, secret: 'A'.repeat(43) };
    const refusedBefore = await refusals();
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await post('/things', '198.51.100.7', forged, i));
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const over = answers[5]!;
    expect(over.headers['retry-after']).toBe('1');
    expect(over.json()).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: 'Too many requests; retry after the number of seconds in the Retry-After header',
        messageZh: '请求过于频繁，请稍后重试',
        retryable: true,
        action: 'retry',
        supportRef: expect.any(String),
        retryAfterSeconds: 1,
      },
    });
    // the 429s never reached the guard: five refusals counted, not eight
    expect((await refusals()) - refusedBefore).toBe(5);
    expect(await limited()).toContainEqual({ route_class: 'standard', reason: 'client-address', n: 3 });
    // an X-Forwarded-For is not believed (HTTP_TRUST_PROXY is off): it does not buy a fresh bucket
    expect((await post('/things', '198.51.100.7', forged, 9, { 'x-forwarded-for': '203.0.113.99' })).statusCode).toBe(429);
    // another address is not affected, and the key itself was never charged: its holder is served
    expect((await post('/things', '198.51.100.8', key, 10)).statusCode).toBe(201);
    expect(handled).toEqual(['things 10']);
  });

  it('limits each merchant key on its own; a refused request is not handled and records no nonce', async () => {
    const key = await creds.merchant('m-busy');
    const other = await creds.merchant('m-quiet');
    const noncesBefore = await nonces();
    const statuses = [];
    // from different addresses: the key's own limit is what refuses
    for (let i = 0; i < 5; i++) statuses.push((await post('/things', `192.0.2.${10 + i}`, key, i)).statusCode);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(handled).toEqual(['things 0', 'things 1', 'things 2']);
    expect((await nonces()) - noncesBefore).toBe(3);
    expect((await post('/things', '192.0.2.20', other, 5)).statusCode).toBe(201);
    expect(await limited()).toContainEqual({ route_class: 'standard', reason: 'merchant-key', n: 2 });
  });

  it('limits a strict route (@StrictRateLimit) harder than the key\'s other routes', async () => {
    const key = await creds.merchant('m-tester');
    expect((await post('/oracle', '192.0.2.30', key, 1)).statusCode).toBe(201);
    const second = await post('/oracle', '192.0.2.31', key, 2);
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toBe('4');
    expect((await post('/things', '192.0.2.32', key, 3)).statusCode).toBe(201);
    // and per address: another key from the same address finds the strict route's address bucket empty
    const accomplice = await creds.merchant('m-accomplice');
    expect((await post('/oracle', '192.0.2.30', accomplice, 4)).statusCode).toBe(429);
    expect(handled).toEqual(['oracle 1', 'things 3']);
    expect(await limited()).toEqual(expect.arrayContaining([
      { route_class: 'card-tokenize', reason: 'merchant-key', n: 1 },
      { route_class: 'card-tokenize', reason: 'client-address', n: 1 },
    ]));
  });

  it('limits operator tokens too', async () => {
    const sre = await creds.operator('sam', ['sre']);
    const get = (from: string) => app.inject({ method: 'GET', url: '/figures', remoteAddress: from, headers: creds.headers(sre, 'GET', '/figures') });
    expect([(await get('192.0.2.40')).statusCode, (await get('192.0.2.41')).statusCode, (await get('192.0.2.42')).statusCode]).toEqual([200, 200, 429]);
    expect(await limited()).toContainEqual({ route_class: 'standard', reason: 'operator-token', n: 1 });
  });
});
