import { createServer, type Server } from 'node:http';
import { demoOrder, demoRegistrations, prepareShoppers, SHOPPER_COUNT } from './demo-shoppers';

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
      const prepared = await prepareShoppers({ channelGateway: url, risk: url }, 'r1', 40, 1, 10_000);
      expect(prepared.testerCard).toMatch(/^tok_/);
      expect([...prepared.shopperCards.values()].every((t) => t.startsWith('tok_'))).toBe(true);
      expect(prepared.levels).toEqual({ full: 40 });
      expect([...calls.values()].every((n) => n === 2)).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe('what a run registers, and as which merchant', () => {
  const key = (p: { shopper: number; merchantId: string }) => `${p.shopper} ${p.merchantId}`;

  it("registers each order's shopper, and its card, as the order's merchant (a token and an identity are the merchant's that registers them)", () => {
    const count = SHOPPER_COUNT + 40;
    const merchants = 3;
    const uses = demoRegistrations(count, merchants);
    const identities = new Set(uses.identities.map(key));
    const cards = new Set(uses.shopperCards.map(key));
    const cardShoppers = new Set(uses.shopperCards.map((p) => p.shopper));
    for (let i = 0; i < count; i++) {
      const order = demoOrder(i, { runId: 'r1', merchants, cards: { testerCard: 'tok_tester', shopperCards: new Map([...cardShoppers].map((s) => [s, `tok_${s}`])) } });
      const shopper = Number(order.userId.slice('shopper-'.length));
      expect(identities.has(`${shopper} ${order.merchantId}`)).toBe(true);
      if (order.cardToken === 'tok_tester') expect(uses.testerCardMerchants).toContain(order.merchantId);
      else if (order.cardToken) expect(cards.has(`${shopper} ${order.merchantId}`)).toBe(true);
    }
    // a shopper with orders at two merchants is registered by both, once each
    expect(uses.identities.filter((p) => p.shopper === 0).map((p) => p.merchantId).sort()).toEqual(['merchant-0', 'merchant-1']);
    expect(identities.size).toBe(uses.identities.length);
  });

  it('tokenises the card tester\'s card for some merchant even when no order of the run tests cards', () => {
    expect(demoRegistrations(0, 2).testerCardMerchants).toEqual(['merchant-0']);
  });
});
