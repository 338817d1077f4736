import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { currentTrace, parseTraceparent, traceRequests } from '@paystream/shared/observability';
import { callJson, callText } from './http-client';

const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent across HTTP calls between services', () => {
  let downstream: Server;
  let downstreamUrl: string;
  const received: IncomingHttpHeaders[] = [];
  let app: FastifyInstance;

  beforeAll(async () => {
    downstream = createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => downstream.listen(0, '127.0.0.1', r));
    downstreamUrl = `http://127.0.0.1:${(downstream.address() as { port: number }).port}`;
    app = Fastify();
    traceRequests(app);
    // a service that calls another one while handling a request (gateway -> channel, settlement -> bank)
    app.get('/work', async (request) => {
      await new Promise((r) => setTimeout(r, 1));
      await callJson(`${downstreamUrl}/x`, { timeoutMs: 2_000, body: { a: 1 } });
      return { traceId: currentTrace()?.traceId, header: request.headers.traceparent };
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    downstream.close();
  });

  it('continues the incoming trace in the call it makes, as a new span', async () => {
    received.length = 0;
    const res = (await app.inject({ method: 'GET', url: '/work', headers: { traceparent: INCOMING } })).json<{ traceId: string }>();
    expect(res.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const sent = parseTraceparent(received[0]!.traceparent as string)!;
    expect(sent.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(sent.parentId).not.toBe('00f067aa0ba902b7');
  });

  it('starts a trace for a request without one, and the handler sees it in its headers too', async () => {
    received.length = 0;
    const res = (await app.inject({ method: 'GET', url: '/work' })).json<{ traceId: string; header: string }>();
    expect(res.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parseTraceparent(res.header)?.traceId).toBe(res.traceId);
    expect(parseTraceparent(received[0]!.traceparent as string)?.traceId).toBe(res.traceId);
  });

  it('sends no traceparent outside a trace, and keeps one the caller set', async () => {
    received.length = 0;
    await callText(`${downstreamUrl}/y`, { timeoutMs: 2_000 });
    await callText(`${downstreamUrl}/z`, { timeoutMs: 2_000, headers: { traceparent: INCOMING } });
    expect(received[0]!.traceparent).toBeUndefined();
    expect(received[1]!.traceparent).toBe(INCOMING);
  });
});
