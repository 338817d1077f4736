import type { INestApplication } from '@nestjs/common';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { OperatorRole } from '@paystream/contracts';
import {
  authorizationFor,
  bearer,
  deriveSecret,
  listRoutes,
  merchantKey,
  newCredentialId,
  parsePepper,
  type ClientCredential,
  type KeyMode,
  type Policy,
  type RouteEntry,
} from '@paystream/shared/auth';
import { TEST_CREDENTIAL_PEPPER } from './infra';

type Queryable = { query: (sql: string, params?: unknown[]) => Promise<unknown> };

/** Every operator role: the default test operator may call any operator route. */
export const ALL_OPERATOR_ROLES: readonly OperatorRole[] = ['finance', 'risk', 'sre', 'admin'];
/** The operator a spec acts as unless it names another (its audit rows say `operator:test-operator`). */
export const TEST_OPERATOR_ID = 'test-operator';
/** The merchant a spec signs as on a merchant route that names no merchant. */
export const TEST_MERCHANT_ID = 'm-test';

/**
 * Issues credentials straight into a service's local credential copy (the test schema's
 * credential_copy, as the credential.issued.v1 consumer would) and builds their Authorization
 * headers with the test pepper.
 */
export class TestCredentials {
  private readonly pepper = parsePepper(TEST_CREDENTIAL_PEPPER);
  private readonly merchants = new Map<string, ClientCredential>();
  private readonly operators = new Map<string, ClientCredential>();
  private readonly services = new Map<string, ClientCredential>();

  constructor(private readonly db: Queryable) {}

  /** A live (or test) key of the merchant; the same one on every call for that merchant and mode. */
  async merchant(merchantId: string, mode: KeyMode = 'live', validity: { expiresAt?: Date | null; revoked?: boolean } = {}): Promise<ClientCredential & { kind: 'merchant' }> {
    const cacheKey = `${merchantId}/${mode}`;
    if (validity.expiresAt === undefined && !validity.revoked && this.merchants.has(cacheKey)) return this.merchants.get(cacheKey) as ClientCredential & { kind: 'merchant' };
    const id = newCredentialId({ kind: 'merchant-api-key', mode });
    await this.insert(id, 'merchant-api-key', merchantId, [], mode, validity);
    const credential = merchantKey(id, deriveSecret(this.pepper, id)) as ClientCredential & { kind: 'merchant' };
    if (validity.expiresAt === undefined && !validity.revoked) this.merchants.set(cacheKey, credential);
    return credential;
  }

  /** An operator token with these roles (the same one on every call for that operator and roles). */
  async operator(operatorId: string = TEST_OPERATOR_ID, roles: readonly OperatorRole[] = ALL_OPERATOR_ROLES): Promise<ClientCredential> {
    const cacheKey = `${operatorId}/${[...roles].sort().join(',')}`;
    const known = this.operators.get(cacheKey);
    if (known) return known;
    const id = newCredentialId({ kind: 'operator-token' });
    await this.insert(id, 'operator-token', operatorId, roles, null, {});
    const credential = bearer(id, deriveSecret(this.pepper, id));
    this.operators.set(cacheKey, credential);
    return credential;
  }

  /** A service token (e.g. `settlement`, `monitoring`). */
  async service(name: string): Promise<ClientCredential> {
    const known = this.services.get(name);
    if (known) return known;
    const id = newCredentialId({ kind: 'service-token', service: name });
    await this.insert(id, 'service-token', name, [], null, {});
    const credential = bearer(id, deriveSecret(this.pepper, id));
    this.services.set(name, credential);
    return credential;
  }

  /** The headers (Authorization) for one request, signed over the exact body text that will be sent. */
  headers(credential: ClientCredential, method: string, url: string, body = '', now = new Date()): Record<string, string> {
    return { authorization: authorizationFor(credential, method.toUpperCase(), url, body, now) };
  }

  private async insert(id: string, kind: string, principalId: string, roles: readonly OperatorRole[], mode: KeyMode | null, v: { expiresAt?: Date | null; revoked?: boolean }): Promise<void> {
    await this.db.query(
      `INSERT INTO credential_copy (credential_id, kind, principal_id, roles, mode, not_before, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, now() - interval '1 hour', $6, $7)`,
      [id, kind, principalId, [...roles], mode, v.expiresAt ?? null, v.revoked ? new Date() : null],
    );
  }
}

function routeMatcher(routes: RouteEntry[]): (method: string, path: string) => RouteEntry | undefined {
  const compiled = routes.map((r) => ({ r, re: new RegExp(`^${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`) }));
  // a literal segment wins over a parameter (GET /payments/stats before GET /payments/:id)
  compiled.sort((a, b) => (a.r.path.match(/:/g)?.length ?? 0) - (b.r.path.match(/:/g)?.length ?? 0));
  return (method, path) => compiled.find((c) => c.r.method === method && c.re.test(path))?.r;
}

/** Who a spec calls a route as by default, from the route's @Allow: a merchant named by the request, an all-roles operator, the service, or nobody. */
async function defaultCredential(policies: readonly Policy[], path: string, payload: unknown, creds: TestCredentials): Promise<ClientCredential | undefined> {
  if (policies.includes('public') || policies.includes('channel')) return undefined;
  if (policies.includes('merchant')) {
    const inPath = /\/merchants\/([^/?]+)/.exec(path)?.[1];
    const inBody = payload !== null && typeof payload === 'object' && typeof (payload as { merchantId?: unknown }).merchantId === 'string' ? (payload as { merchantId: string }).merchantId : undefined;
    const merchantId = inPath ? decodeURIComponent(inPath) : (inBody ?? TEST_MERCHANT_ID);
    if (!policies.some((p) => p.startsWith('operator:')) || inPath || inBody) return creds.merchant(merchantId);
  }
  if (policies.some((p) => p.startsWith('operator:'))) return creds.operator();
  const service = policies.find((p) => p.startsWith('service:'));
  return service ? creds.service(service.slice('service:'.length)) : undefined;
}

/**
 * Makes `app.inject` authenticate every call the way the route allows (integration specs written
 * before issue 14 keep calling routes as they did): a call that carries its own Authorization
 * header is left alone; otherwise a merchant route is signed as the merchant the path or body
 * names (or TEST_MERCHANT_ID), an operator route bears TEST_OPERATOR_ID's all-roles token, a
 * service route the service's token. The JSON payload is serialised here, so what is signed is
 * what is sent.
 */
export function authenticateInjects(app: INestApplication & { inject: (opts: InjectOptions) => Promise<LightMyRequestResponse> }, db: Queryable): TestCredentials {
  const creds = new TestCredentials(db);
  const match = routeMatcher(listRoutes(app));
  // the Nest app is a proxy that forwards inject to its HTTP adapter: wrap the adapter's
  const adapter = app.getHttpAdapter() as unknown as { inject: (opts: InjectOptions) => Promise<LightMyRequestResponse> };
  const inject = adapter.inject.bind(adapter);
  adapter.inject = async (opts: InjectOptions) => {
    const method = (opts.method ?? 'GET').toString().toUpperCase();
    const url = typeof opts.url === 'string' ? opts.url : String(opts.url);
    const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
    let payload = opts.payload;
    if (payload !== undefined && typeof payload === 'object' && !Buffer.isBuffer(payload)) {
      payload = JSON.stringify(payload);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      const path = url.split('?')[0]!;
      const route = match(method, path);
      const credential = route?.policies ? await defaultCredential(route.policies, path, opts.payload, creds) : undefined;
      if (credential) Object.assign(headers, creds.headers(credential, method, url, typeof payload === 'string' ? payload : ''));
    }
    return inject({ ...opts, method: method as InjectOptions['method'], url, headers, ...(payload === undefined ? {} : { payload }) });
  };
  return creds;
}
