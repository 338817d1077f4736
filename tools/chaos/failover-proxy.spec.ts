import { createServer, type Server } from 'node:http';
import { FailoverProxy, upstreamOrder } from './failover-proxy';

describe('upstreamOrder', () => {
  it('starts at the next replica in turn and then tries the others', () => {
    expect([0, 1, 2, 3].map((n) => upstreamOrder(n, 2))).toEqual([
      [0, 1],
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
  });
});

describe('FailoverProxy', () => {
  const servers: Server[] = [];
  const serve = async (status: number, name: string) => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ name, path: req.url, body })));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const a = server.address();
    return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  };
  afterAll(() => servers.forEach((s) => s.close()));

  it('carries a request to a replica that answers when the other refuses connections or answers 5xx', async () => {
    const down = 'http://127.0.0.1:1';
    const failing = await serve(503, 'failing');
    const live = await serve(200, 'live');
    const proxy = new FailoverProxy(() => [down, failing, live]);
    await proxy.start();
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${proxy.url}/notify/alipay?x=1`, { method: 'POST', body: 'hello' });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ name: 'live', path: '/notify/alipay?x=1', body: 'hello' });
      }
    } finally {
      await proxy.stop();
    }
  });
});
