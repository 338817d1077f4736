import { createServer, type Server } from 'node:http';
import { prepareShoppers } from './demo-shoppers';

/**
 * A gateway and a risk service under load: each card and each identity gets a 503 on its first call
 * (the gateway's answer when UnionPay did not open a token in time), then its answer.
 */
function busyServices(): Promise<{ url: string; server: Server; calls: Map<string, number> }> {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { number?: string; userId?: string; subjectId?: string };
      const id = `${req.url} ${parsed.number ?? JSON.stringify(parsed)}`;
      const n = (calls.get(id) ?? 0) + 1;
      calls.set(id, n);
      if (n === 1) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"CHANNEL_UNAVAILABLE","retryable":true}}');
      if (req.url === '/cards') return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ cardToken: `tok_${parsed.number}` }));
      return void res.writeHead(201, { 'content-type': 'application/json' }).end('{"level":"full"}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, calls })));
}

describe('prepareShoppers against services answering 503 for a while', () => {
  it('sends each tokenisation and registration again until it is answered, as the client contract says', async () => {
    const { url, server, calls } = await busyServices();
    try {
      const prepared = await prepareShoppers({ channelGateway: url, risk: url }, 'r1', 40, 10_000);
      expect(prepared.testerCard).toMatch(/^tok_/);
      expect([...prepared.shopperCards.values()].every((t) => t.startsWith('tok_'))).toBe(true);
      expect(prepared.levels).toEqual({ full: 40 });
      expect([...calls.values()].every((n) => n === 2)).toBe(true);
    } finally {
      server.close();
    }
  });
});
