import { bearerToken, newNonce, signatureHeader } from './request-signature';

/** What a client presents: a merchant key (it signs) or an operator/service bearer token. */
export type ClientCredential = { kind: 'merchant'; keyId: string; secret: string } | { kind: 'bearer'; token: string };

/** A merchant key as a client holds it. */
export const merchantKey = (keyId: string, secret: string): ClientCredential => ({ kind: 'merchant', keyId, secret });
/** An operator or service token (`<credential id>.<secret>`, or the id and secret apart). */
export const bearer = (tokenOrId: string, secret?: string): ClientCredential => ({ kind: 'bearer', token: secret === undefined ? tokenOrId : bearerToken(tokenOrId, secret) });

/**
 * The Authorization header for one request: signed over the method, the path with query and the
 * body bytes exactly as they will be sent (a new nonce and the current time each call).
 */
export function authorizationFor(credential: ClientCredential, method: string, pathWithQuery: string, body: string | Uint8Array = '', now: Date = new Date()): string {
  if (credential.kind === 'bearer') return `Bearer ${credential.token}`;
  return signatureHeader(credential.keyId, credential.secret, { method, pathWithQuery, timestamp: Math.floor(now.getTime() / 1000), nonce: newNonce(), body });
}

/** fetch with the request authenticated: `url` is the full URL; the body must be a string (what is signed is what is sent). */
export async function signedFetch(url: string, credential: ClientCredential, init: Omit<RequestInit, 'body'> & { body?: string } = {}): Promise<Response> {
  const target = new URL(url);
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('authorization', authorizationFor(credential, method, `${target.pathname}${target.search}`, init.body ?? ''));
  return fetch(url, { ...init, method, headers });
}

/** A JSON answer: the status and the parsed body (undefined when not JSON). */
export interface ClientAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** A small client of one Paystream service's HTTP API that signs (merchant) or bears (operator) every request. */
export class PaystreamClient {
  constructor(
    readonly baseUrl: string,
    readonly credential: ClientCredential,
  ) {}

  /** Sends `json` (if any) as the JSON body; parses the JSON answer. */
  async request<T = Record<string, unknown>>(method: string, path: string, json?: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<ClientAnswer<T>> {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const res = await signedFetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, this.credential, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body,
      ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T };
  }

  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = Record<string, unknown>>(path: string, json: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, json, headers);
  }
}
