import { createServer, type Server } from 'node:http';
import { CLIENT_RETRY_BACKOFF_MS_MAX, CLIENT_RETRY_BACKOFF_MS_MIN, isFinalAnswer, postWithRetry, retryBackoffMs } from './client-retry';

describe('client retry rules', () => {
  it.each([
    [200, true],
    [201, true],
    [409, true],
    [422, true],
    [500, false],
    [503, false],
  ])('status %i is final: %p', (status, final) => {
    expect(isFinalAnswer(status)).toBe(final);
  });

  it('backs off from the min, doubling, capped at the max', () => {
    expect([1, 2, 3, 20].map(retryBackoffMs)).toEqual([CLIENT_RETRY_BACKOFF_MS_MIN, CLIENT_RETRY_BACKOFF_MS_MIN * 2, CLIENT_RETRY_BACKOFF_MS_MIN * 4, CLIENT_RETRY_BACKOFF_MS_MAX]);
  });
});

describe('postWithRetry', () => {
  let server: Server;
  const seen: { key: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ key: req.headers['idempotency-key'] as string | undefined, body });
        // fails twice, as a replica restarting would, then is rate limited once (demoFetch waits it out), then answers
        if (seen.length === 3) res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { code: 'RATE_LIMITED' } }));
        else res.writeHead(seen.length < 3 ? 503 : 201, { 'content-type': 'application/json' }).end(JSON.stringify({ paymentId: 'p-1' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => server.close());

  it('sends the same request with the same Idempotency-Key until it gets a final answer, moving to the next base', async () => {
    const a = server.address();
    const live = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    const answer = await postWithRetry(() => [live, 'http://127.0.0.1:1'], '/payments', 'key-1', { orderId: 'o-1' }, 30_000);
    expect(answer).toEqual({ status: 201, body: { paymentId: 'p-1' }, attempts: 5 });
    expect(seen).toEqual(Array.from({ length: 4 }, () => ({ key: 'key-1', body: '{"orderId":"o-1"}' })));
  });
});
