import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS } from '@paystream/contracts';
import { OpsModule, STATUS_PAGE_CSP } from '@paystream/ops/feature-monitor';
import { bearer, deriveSecret, newCredentialId, parsePepper, type ClientCredential } from '@paystream/shared/auth';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { dropSchemas, freePort, RawProducer, TEST_CREDENTIAL_PEPPER, TestCredentials, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { loadOpsAppConfig } from './config';

/**
 * ops enforces its routes' @Allow like every service: its status figures are an sre's, its metrics
 * Prometheus', and it verifies the tokens against its own copy of the credentials, kept from the
 * credential.* events (so a revocation reaches it as it reaches every service).
 */
describe('ops: who may read what', () => {
  const prefix = uniqueTopicPrefix('opsauth');
  const schema = uniqueId('opsauth_');
  let app: NestFastifyApplication;
  let creds: TestCredentials;
  let upstream: RawProducer;

  beforeAll(async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const config = loadOpsAppConfig(
      await testServiceEnv('OPS', { schema, topicPrefix: prefix }, { OPS_POLL_INTERVAL_MS: '500', ORDER_PAYMENT_URL: closed, CHANNEL_GATEWAY_URL: closed, RISK_URL: closed, SETTLEMENT_URL: closed, MERCHANT_URL: closed }),
    );
    app = await startInProcessApp(OpsModule.forRoot(config));
    creds = new TestCredentials(app.get(Platform, { strict: false }).ds);
    upstream = await new RawProducer().start();
  });

  afterAll(async () => {
    await upstream?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  const get = async (url: string, credential?: ClientCredential) => {
    const res = await app.inject({ method: 'GET', url, headers: credential ? creds.headers(credential, 'GET', url) : {} });
    return `${res.statusCode} ${res.statusCode >= 400 ? (res.json<{ error: { code: string } }>().error.code ?? '') : ''}`.trim();
  };

  it('answers /status.json to an sre only, /metrics to monitoring only, /health and the page to anyone', async () => {
    const who = {
      nobody: undefined,
      sre: await creds.operator('sam', ['sre']),
      finance: await creds.operator('fiona', ['finance']),
      monitoring: await creds.service('monitoring'),
      settlement: await creds.service('settlement'),
      merchant: await creds.merchant('m-nosy'),
    };
    const table: Record<string, Record<string, string>> = {};
    for (const url of ['/status.json', '/metrics', '/health/live', '/']) {
      table[url] = {};
      for (const [name, credential] of Object.entries(who)) table[url]![name] = await get(url, credential);
    }
    expect(table['/status.json']).toEqual({
      nobody: '401 AUTH_MISSING',
      sre: '200',
      finance: '403 AUTH_FORBIDDEN',
      monitoring: '403 AUTH_FORBIDDEN',
      settlement: '403 AUTH_FORBIDDEN',
      merchant: '403 AUTH_FORBIDDEN',
    });
    expect(table['/metrics']).toEqual({
      nobody: '401 AUTH_MISSING',
      sre: '403 AUTH_FORBIDDEN',
      finance: '403 AUTH_FORBIDDEN',
      monitoring: '200',
      settlement: '403 AUTH_FORBIDDEN',
      merchant: '403 AUTH_FORBIDDEN',
    });
    for (const url of ['/health/live', '/']) expect(new Set(Object.values(table[url]!))).toEqual(new Set(['200']));
    // a forged secret for the sre's id
    const sreId = (who.sre as { token: string }).token.split('.')[0]!;
    expect(await get('/status.json', bearer(sreId, 'A'.repeat(43)))).toBe('401 AUTH_SIGNATURE_INVALID');
  });

  it('serves a status page with no figure in it, whose only script is its own', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(STATUS_PAGE_CSP);
    expect(STATUS_PAGE_CSP).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(res.body).not.toMatch(/paystream\.ops|lagTotal":|ECONNREFUSED/);
    expect(res.body).toContain('fetch(\'/status.json\'');
  });

  it('learns a token from credential.issued.v1 and stops accepting it on credential.revoked.v1', async () => {
    const credentialId = newCredentialId({ kind: 'operator-token' });
    const token = bearer(credentialId, deriveSecret(parsePepper(TEST_CREDENTIAL_PEPPER), credentialId));
    const now = new Date().toISOString();
    expect(await get('/status.json', token)).toBe('401 AUTH_KEY_UNKNOWN');
    await upstream.sendEvent(`${prefix}${TOPICS.credentialIssued}`, 'riley', { credentialId, kind: 'operator-token', principalId: 'riley', roles: ['sre'], notBefore: now, expiresAt: null, issuedAt: now }, { source: '/paystream/merchant' });
    await waitFor(async () => ((await get('/status.json', token)) === '200' ? true : undefined), 30_000, 'ops to learn the issued token');
    await upstream.sendEvent(`${prefix}${TOPICS.credentialRevoked}`, 'riley', { credentialId, kind: 'operator-token', principalId: 'riley', revokedAt: new Date().toISOString() }, { source: '/paystream/merchant' });
    await waitFor(async () => ((await get('/status.json', token)) === '401 AUTH_KEY_REVOKED' ? true : undefined), 30_000, 'ops to learn the revocation');
    expect(await get('/status.json', token)).toBe('401 AUTH_KEY_REVOKED');
  });
});
