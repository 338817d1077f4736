import { currentTrace, nextTraceparent } from '@paystream/shared/observability';

/** Why an HTTP call produced no answer: it timed out (the outcome is unknown) or never connected. */
export class HttpCallError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'HttpCallError';
  }
}

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T | undefined;
}

export interface HttpCallOptions {
  method?: 'GET' | 'POST';
  timeoutMs: number;
  headers?: Record<string, string>;
}

/**
 * A call with a deadline whose answer comes back as the exact text received (signatures are computed
 * over it). Any HTTP answer is returned; no whole answer throws HttpCallError saying whether the
 * request may have reached the other side ('timeout') or never left ('network').
 */
export async function callText(url: string, options: HttpCallOptions & { body?: string }): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: withTraceparent(options.headers),
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new HttpCallError('timeout', `${url}: no answer within ${options.timeoutMs} ms`);
    throw new HttpCallError('network', `${url}: ${e.cause?.code ?? e.message}`);
  }
  try {
    return { status: res.status, text: await res.text(), headers: Object.fromEntries(res.headers) };
  } catch {
    throw new HttpCallError('timeout', `${url}: the answer was cut off`);
  }
}

/** The headers of an outgoing call, with a traceparent continuing the current trace (unless the caller set one). */
export function withTraceparent(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!currentTrace() || Object.keys(headers ?? {}).some((h) => h.toLowerCase() === 'traceparent')) return headers;
  return { ...headers, traceparent: nextTraceparent() };
}

/** A JSON call with a deadline (see callText); a body that is not JSON comes back as undefined. */
export async function callJson<T = unknown>(url: string, options: HttpCallOptions & { body?: unknown }): Promise<HttpAnswer<T>> {
  const { body, ...rest } = options;
  const { status, text } = await callText(url, {
    ...rest,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...rest.headers } }),
  });
  try {
    return { status, body: text ? (JSON.parse(text) as T) : undefined };
  } catch {
    return { status, body: undefined };
  }
}
