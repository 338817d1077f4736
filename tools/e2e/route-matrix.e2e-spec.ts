import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorizationFor, bearer, newNonce, signatureHeader, type ClientCredential, type Policy } from '@paystream/shared/auth';
import type { OperatorRole } from '@paystream/contracts';
import { uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { E2E_DEFAULT_MERCHANT, REPO_ROOT, ServiceStack, type StackService } from './service-stack';

/** The services behind the auth guard (the emulator is the outside world). */
const GUARDED = ['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant', 'ops'] as const satisfies readonly StackService[];
const OTHER_MERCHANT = 'e2e-other-merchant';
// tables whose rows move without any request: the credential events' inbox marks, the auth bookkeeping
const BOOKKEEPING_TABLES = new Set(['inbox_message', 'auth_nonce', 'credential_copy', 'migrations', 'outbox_relay_lease']);
const ROLES: OperatorRole[] = ['finance', 'risk', 'sre', 'admin'];
/** The list of every route with who may call it, kept equal to what the services serve (UPDATE_ROUTES_DOC=1 rewrites it). */
const ROUTES_DOC = join(REPO_ROOT, 'docs', 'security', 'routes.md');

/** docs/security/routes.md as the route tables make it. */
function routesDoc(tables: Map<StackService, LoggedRoute[]>): string {
  const who = (p: Policy) =>
    p === 'public' ? 'anyone' : p === 'channel' ? 'the channel (its own signature)' : p === 'merchant' ? 'a merchant (signed, its own resources only)' : p.startsWith('operator:') ? `operator with role \`${p.slice(9)}\`` : `service \`${p.slice(8)}\``;
  const lines = [
    '# Every HTTP route and who may call it',
    '',
    'Generated from the route table each service logs at start-up (the `@Allow` metadata its auth guard and start-up check',
    'read); `tools/e2e/route-matrix.e2e-spec.ts` fails when this file and the services differ (`UPDATE_ROUTES_DOC=1` rewrites it).',
    'An operator with role `sre` may also call every `GET` an operator may. Refusals: see docs/design/trust-boundary.md section 4.',
    '',
  ];
  for (const [service, table] of tables) {
    lines.push(`## ${service}`, '', '| method | path | who may call it |', '|---|---|---|');
    for (const r of table) lines.push(`| ${r.method} | \`${r.path}\` | ${r.allow.map(who).join('; ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

interface LoggedRoute {
  method: string;
  path: string;
  allow: Policy[];
}

/** A concrete path for a route pattern: the default merchant's id, a fresh UUID, a valid date or channel. */
function concrete(path: string): string {
  return path
    .replace(':merchantId', E2E_DEFAULT_MERCHANT)
    .replace(':date', '2026-01-05')
    .replace(':channel', 'alipay')
    .replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
}

/**
 * Every HTTP route of every guarded service, from the route table each service logs at start-up
 * (the metadata its start-up check reads): without credentials, with a bad signature, a stale
 * timestamp, a replayed nonce, another merchant and a role that is not enough, each gets its stable
 * refusal, and the service's database has the same rows before and after.
 */
describe('route matrix: every route refuses what it must and changes nothing', () => {
  // settlement's daily reconciliation job writes runs of its own at its first check (10 s after start, whenever the
  // machine gets to it): an hour apart here, so every row that moves during the matrix is a request's
  const stack = new ServiceStack(uniqueTopicPrefix('matrix'), uniqueId('matrix_'), { RECONCILIATION_CHECK_INTERVAL_MS: '3600000' });
  const routes = new Map<StackService, LoggedRoute[]>();
  let own: ClientCredential & { kind: 'merchant' };
  let other: ClientCredential & { kind: 'merchant' };

  beforeAll(async () => {
    await stack.start();
    own = (await stack.merchantKey(E2E_DEFAULT_MERCHANT)) as ClientCredential & { kind: 'merchant' };
    other = (await stack.merchantKey(OTHER_MERCHANT)) as ClientCredential & { kind: 'merchant' };
    for (const s of GUARDED) {
      const line = readFileSync(stack.logFile(s), 'utf8').split('\n').find((l) => l.includes('"routes"'));
      routes.set(s, (JSON.parse(line!) as { routes: LoggedRoute[] }).routes);
    }
  }, 180_000);

  afterAll(async () => {
    await stack.dispose();
  });

  it('lists every route with who may call it in docs/security/routes.md', () => {
    const doc = routesDoc(routes);
    if (process.env.UPDATE_ROUTES_DOC === '1') writeFileSync(ROUTES_DOC, doc);
    expect(readFileSync(ROUTES_DOC, 'utf8')).toBe(doc);
  });

  const rowCounts = async (s: StackService) => {
    const tables = await stack.query<{ table_name: string }>(s, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`, [stack.schema]);
    const counts: Record<string, number> = {};
    for (const { table_name } of tables) if (!BOOKKEEPING_TABLES.has(table_name)) counts[table_name] = (await stack.query<{ n: number }>(s, `SELECT count(*)::int AS n FROM "${table_name}"`))[0]!.n;
    return counts;
  };

  const send = async (s: StackService, method: string, path: string, authorization: string | undefined, body = method === 'GET' || method === 'HEAD' ? undefined : '{}') => {
    const res = await fetch(`${stack.url(s)}${path}`, { method, headers: { ...(authorization === undefined ? {} : { authorization }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'idempotency-key': `matrix-${newNonce()}` }, body });
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
    return `${res.status} ${json.error?.code ?? ''}`.trim();
  };

  it.each(GUARDED)('%s', async (service) => {
    const table = routes.get(service)!;
    expect(table.length).toBeGreaterThan(0);
    const guarded = table.filter((r) => !r.allow.includes('public') && !r.allow.includes('channel'));
    const before = await rowCounts(service);
    const now = Math.floor(Date.now() / 1000);
    // a nonce the service has seen: a harmless accepted request with it first (GET /health is public, so use a merchant route)
    const seen = newNonce();
    const merchantRoute = table.find((r) => r.allow.includes('merchant'));
    if (merchantRoute) {
      const path = concrete(merchantRoute.path);
      const body = merchantRoute.method === 'GET' ? '' : '{}';
      await send(service, merchantRoute.method, path, signatureHeader(own.keyId, own.secret, { method: merchantRoute.method, pathWithQuery: path, timestamp: now, nonce: seen, body }), body || undefined);
    }
    const got: string[] = [];
    const want: string[] = [];
    for (const r of guarded) {
      const path = concrete(r.path);
      const body = r.method === 'GET' ? '' : '{}';
      const at = (m: string) => `${r.method} ${r.path} ${m}`;
      const signed = (key: typeof own, o: { timestamp?: number; nonce?: string; secret?: string } = {}) =>
        signatureHeader(key.keyId, o.secret ?? key.secret, { method: r.method, pathWithQuery: path, timestamp: o.timestamp ?? Math.floor(Date.now() / 1000), nonce: o.nonce ?? newNonce(), body });
      const check = async (what: string, authorization: string | undefined, expected: string) => {
        got.push(at(`${what} -> ${await send(service, r.method, path, authorization, body || undefined)}`));
        want.push(at(`${what} -> ${expected}`));
      };
      await check('no credentials', undefined, '401 AUTH_MISSING');
      await check('bad signature', signed(own, { secret: own.secret.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }), '401 AUTH_SIGNATURE_INVALID');
      await check('stale timestamp', signed(own, { timestamp: Math.floor(Date.now() / 1000) - 301 }), '401 AUTH_TIMESTAMP_SKEW');
      const merchantMay = r.allow.includes('merchant');
      if (merchantRoute) await check('replayed nonce', signed(own, { nonce: seen }), merchantMay ? '401 AUTH_NONCE_REPLAYED' : '403 AUTH_FORBIDDEN');
      // another merchant: named in the path it answers like a missing resource; a route no merchant may call is forbidden
      if (!merchantMay) await check('a merchant', signed(other), '403 AUTH_FORBIDDEN');
      else if (r.path.includes(':merchantId')) await check('another merchant', signed(other), '404 RESOURCE_NOT_FOUND');
      // a role that is not enough (sre may read what an operator may read, so it is not tried on those GETs)
      const operatorRoles = r.allow.filter((p) => p.startsWith('operator:')).map((p) => p.slice('operator:'.length));
      const sreReads = r.method === 'GET' && operatorRoles.length > 0;
      const lacking = ROLES.find((role) => !operatorRoles.includes(role) && !(role === 'sre' && sreReads));
      if (lacking) await check(`operator:${lacking}`, authorizationFor(await operatorWith(lacking), r.method, path), '403 AUTH_FORBIDDEN');
      if (!r.allow.some((p) => p.startsWith('service:'))) await check('a service token', authorizationFor(stack.monitoring, r.method, path), '403 AUTH_FORBIDDEN');
    }
    expect(got).toEqual(want);
    expect(await rowCounts(service)).toEqual(before);
  }, 300_000);

  const operators = new Map<OperatorRole, ClientCredential>();
  async function operatorWith(role: OperatorRole): Promise<ClientCredential> {
    const known = operators.get(role);
    if (known) return known;
    const token = await stack.issueOperator(`matrix-${role}`, [role]);
    const credential = bearer(token);
    operators.set(role, credential);
    return credential;
  }
});
