import { createServer, type Server } from 'node:http';
import { demoFetch } from './demo-auth';

describe('demoFetch', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url!);
      const tries = seen.filter((u) => u === req.url).length;
      // /once: rate limited on the first try only; /always: rate limited for longer than a demo call waits
      if (req.url === '/once' && tries === 1) res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":"RATE_LIMITED"}}');
      else if (req.url === '/always') res.writeHead(429, { 'retry-after': '3600', 'content-type': 'application/json' }).end('{"error":{"code":"RATE_LIMITED"}}');
      else if (req.url === '/velocity') res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"code":"RISK_VELOCITY"}}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('waits out a 429 for its Retry-After and sends the call again', async () => {
    const started = Date.now();
    const res = await demoFetch(`${base}/once`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(seen.filter((u) => u === '/once')).toHaveLength(2);
  });

  it('hands back a 429 that asks for longer than a demo call waits, and a 429 without Retry-After (an answer, not a limit)', async () => {
    expect((await demoFetch(`${base}/always`)).status).toBe(429);
    expect((await demoFetch(`${base}/velocity`)).status).toBe(429);
    expect(seen.filter((u) => u === '/always' || u === '/velocity')).toHaveLength(2);
  });
});
