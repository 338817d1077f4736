import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { authorizationFor, bearer, merchantKey, type ClientCredential } from '@paystream/shared/auth';
import { retryAfterMs } from './retry-after';

/**
 * How long one demo call waits out 429 RATE_LIMITED answers in all (each for its Retry-After) before
 * it hands the 429 to its caller: the demo's bursts (identities, cards, the report's reads) pace
 * themselves to the services' rate limits instead of failing.
 */
export const RATE_LIMITED_WAIT_MS_MAX = 30_000;

/** Where setup leaves the demo's credentials (scripts/setup.sh). */
export const DEMO_RUN_DIR = '.run';
/** How long a new key may take to reach every service's credential copy. */
const KEY_PROPAGATION_TIMEOUT_MS = 30_000;

// routes only a merchant may call; every other route the demo calls is an operator's (or /metrics)
const MERCHANT_ONLY = [/^POST \/payments(\?|$)/, /^POST \/payments\/[^/]+\/refunds/, /^POST \/cards/, /^POST \/identities/];

/** The demo's credentials: setup's operator and monitoring tokens, and a live key per demo merchant. */
export class DemoAuth {
  private readonly keys = new Map<string, ClientCredential>();

  constructor(
    readonly operator: ClientCredential,
    readonly monitoring: ClientCredential | undefined,
    private readonly merchantUrl: string,
    /** The merchant that signs merchant routes whose body names none (cards, identities). */
    readonly defaultMerchant: string,
  ) {}

  /** From PAYSTREAM_OPERATOR_TOKEN / .run/operator-token and PAYSTREAM_MONITORING_TOKEN / .run/monitoring-token. */
  static fromRunDir(merchantUrl: string, defaultMerchant: string, env: Record<string, string | undefined> = process.env): DemoAuth {
    const read = (file: string) => (existsSync(`${DEMO_RUN_DIR}/${file}`) ? readFileSync(`${DEMO_RUN_DIR}/${file}`, 'utf8').trim() : undefined);
    const operator = env.PAYSTREAM_OPERATOR_TOKEN ?? read('operator-token');
    const monitoring = env.PAYSTREAM_MONITORING_TOKEN ?? read('monitoring-token');
    if (!operator) throw new Error(`no operator token: run scripts/setup.sh (it writes ${DEMO_RUN_DIR}/operator-token) or set PAYSTREAM_OPERATOR_TOKEN`);
    return new DemoAuth(bearer(operator), monitoring ? bearer(monitoring) : undefined, merchantUrl, defaultMerchant);
  }

  /** The merchant's live key for this run, issued by the operator (POST /merchants/:id/keys; the secret is only in this process). */
  async merchant(merchantId: string): Promise<ClientCredential> {
    const known = this.keys.get(merchantId);
    if (known) return known;
    const path = `/merchants/${encodeURIComponent(merchantId)}/keys`;
    const body = JSON.stringify({ mode: 'live' });
    // a new key each run: its secret is only in this process (an Idempotency-Key of its own, the operator's)
    const res = await fetch(`${this.merchantUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `demo-key-${merchantId}-${randomUUID()}`, authorization: authorizationFor(this.operator, 'POST', path, body) }, body });
    const answer = (await res.json()) as { credentialId?: string; secret?: string; error?: { code: string } };
    if (res.status !== 201 || !answer.credentialId || !answer.secret) {
      throw new Error(`could not issue a key for ${merchantId}: HTTP ${res.status} ${answer.error?.code ?? ''} (is it onboarded? npm run admin -- merchant onboard ... --with-key)`);
    }
    const key = merchantKey(answer.credentialId, answer.secret);
    this.keys.set(merchantId, key);
    return key;
  }

  /** Waits until each URL's service accepts the merchant's key (a signed probe no longer answers 401). */
  async waitUntilKnown(merchantId: string, probes: string[]): Promise<void> {
    const key = await this.merchant(merchantId);
    const deadline = Date.now() + KEY_PROPAGATION_TIMEOUT_MS;
    for (const url of probes) {
      for (;;) {
        const target = new URL(url);
        // an empty body: the guard answers 401 until the key arrived, then validation answers 400 (nothing is written)
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: authorizationFor(key, 'POST', `${target.pathname}${target.search}`, '{}') }, body: '{}' });
        if (res.status !== 401) break;
        if (Date.now() > deadline) throw new Error(`${url} does not know ${merchantId}'s key after ${KEY_PROPAGATION_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** fetch, authenticated as the route allows: the merchant `as` names (or the body's / the default) on merchant routes, monitoring on /metrics, the operator elsewhere. */
  async fetch(url: string, init: RequestInit & { as?: string } = {}): Promise<Response> {
    const { as, ...request } = init;
    const target = new URL(url);
    const method = (request.method ?? 'GET').toUpperCase();
    const pathWithQuery = `${target.pathname}${target.search}`;
    const body = typeof request.body === 'string' ? request.body : '';
    let credential: ClientCredential | undefined = this.operator;
    if (target.pathname === '/metrics') credential = this.monitoring;
    else if (MERCHANT_ONLY.some((r) => r.test(`${method} ${pathWithQuery}`))) {
      const named = body.startsWith('{') ? (JSON.parse(body) as { merchantId?: unknown }).merchantId : undefined;
      credential = await this.merchant(as ?? (typeof named === 'string' ? named : this.defaultMerchant));
    }
    const headers = new Headers(request.headers);
    if (credential) headers.set('authorization', authorizationFor(credential, method, pathWithQuery, body));
    return fetch(url, { ...request, method, headers });
  }
}

let current: DemoAuth | undefined;

/** Sets the credentials every demo call uses (drive-orders does, once). */
export function useDemoAuth(auth: DemoAuth): void {
  current = auth;
}

/** The credentials useDemoAuth set, if any (the chaos traffic waits until its merchants' keys are known). */
export function currentDemoAuth(): DemoAuth | undefined {
  return current;
}

/**
 * fetch for the demo's calls to Paystream services: authenticated when useDemoAuth was called, plain
 * otherwise; a 429 with Retry-After is sent again (signed afresh) once that time passed, for up to
 * RATE_LIMITED_WAIT_MS_MAX.
 */
export async function demoFetch(url: string, init: RequestInit & { as?: string } = {}): Promise<Response> {
  const started = Date.now();
  for (;;) {
    const { as: _as, ...request } = init;
    const res = await (current ? current.fetch(url, init) : fetch(url, request));
    const waitMs = retryAfterMs(res.status, res.headers.get('retry-after'));
    if (waitMs === undefined || Date.now() - started + waitMs > RATE_LIMITED_WAIT_MS_MAX) return res;
    await res.arrayBuffer().catch(() => undefined);
    await new Promise((r) => setTimeout(r, waitMs));
  }
}
