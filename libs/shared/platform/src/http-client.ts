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

/**
 * A JSON call with a deadline. Any HTTP answer is returned (the caller maps statuses); no answer
 * throws HttpCallError saying whether the request may have reached the other side ('timeout').
 */
export async function callJson<T = unknown>(url: string, options: { method?: 'GET' | 'POST'; body?: unknown; timeoutMs: number; headers?: Record<string, string> }): Promise<HttpAnswer<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new HttpCallError('timeout', `${url}: no answer within ${options.timeoutMs} ms`);
    throw new HttpCallError('network', `${url}: ${e.cause?.code ?? e.message}`);
  }
  const text = await res.text().catch(() => '');
  let body: T | undefined;
  try {
    body = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}
