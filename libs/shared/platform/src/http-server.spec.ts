import { connect } from 'node:net';
import type { Server } from 'node:http';
import { Body, Controller, Get, Module, Param, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { TrustProxy } from './config';
import {
  HTTP_BODY_LIMIT_BYTES,
  HTTP_CONNECTION_IDLE_TIMEOUT_MS,
  HTTP_HEADERS_TIMEOUT_MS,
  HTTP_KEEP_ALIVE_TIMEOUT_MS,
  HTTP_PARAM_LENGTH_MAX_CHARS,
  HTTP_REQUEST_TIMEOUT_MS,
  HTTP_SERVER_LIMITS,
  serviceHttpAdapter,
  type HttpServerLimits,
} from './http-server';

const handled: string[] = [];

@Controller()
class EchoController {
  @Post('echo')
  echo(@Body() body: unknown) {
    handled.push('echo');
    return { received: JSON.stringify(body).length };
  }

  @Get('slow')
  async slow() {
    await new Promise((r) => setTimeout(r, 800));
    return { ok: true };
  }

  @Get('param/:id')
  param(@Param('id') id: string) {
    return { length: id.length };
  }

  @Get('ip')
  ip(@Req() req: FastifyRequest) {
    return { ip: req.ip };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

async function start(limits: HttpServerLimits = HTTP_SERVER_LIMITS, trustProxy: TrustProxy = false): Promise<{ app: NestFastifyApplication; port: number }> {
  const app = await NestFactory.create<NestFastifyApplication>(EchoModule, serviceHttpAdapter({ trustProxy }, limits), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as { port: number }).port };
}

/** Opens a raw connection, writes `sent`, and resolves with what came back and how long until the server closed it. */
function rawExchange(port: number, sent: string, giveUpMs: number): Promise<{ answer: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(sent));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('utf8')));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedAfterMs: undefined });
    }, giveUpMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.on('error', () => undefined);
  });
}

describe('the services\' HTTP server limits', () => {
  it('runs with the named timeouts and size limits', async () => {
    const { app, port } = await start();
    try {
      const server = app.getHttpServer() as Server;
      expect(server.requestTimeout).toBe(HTTP_REQUEST_TIMEOUT_MS);
      expect(server.headersTimeout).toBe(HTTP_HEADERS_TIMEOUT_MS);
      expect(server.keepAliveTimeout).toBe(HTTP_KEEP_ALIVE_TIMEOUT_MS);
      expect(server.timeout).toBe(HTTP_CONNECTION_IDLE_TIMEOUT_MS);
      expect(HTTP_HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(HTTP_REQUEST_TIMEOUT_MS);
      const post = (bytes: number) =>
        fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(bytes - 10) }) });
      expect((await post(HTTP_BODY_LIMIT_BYTES)).status).toBe(201);
      expect((await post(HTTP_BODY_LIMIT_BYTES + 1)).status).toBe(413);
      expect((await fetch(`http://127.0.0.1:${port}/param/${'a'.repeat(HTTP_PARAM_LENGTH_MAX_CHARS)}`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/param/${'a'.repeat(HTTP_PARAM_LENGTH_MAX_CHARS + 1)}`)).status).toBe(414);
    } finally {
      await app.close();
    }
  });

  describe('with short timeouts', () => {
    const short: HttpServerLimits = { ...HTTP_SERVER_LIMITS, requestTimeoutMs: 600, headersTimeoutMs: 400, timeoutCheckIntervalMs: 100 };
    let app: NestFastifyApplication;
    let port: number;

    beforeAll(async () => {
      ({ app, port } = await start(short));
    });

    afterAll(async () => {
      await app?.close();
    });

    beforeEach(() => {
      handled.length = 0;
    });

    it('cuts off a slow loris: headers sent, body never finished (408, connection closed, handler never ran)', async () => {
      const headers = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`;
      const { answer, closedAfterMs } = await rawExchange(port, headers, 5_000);
      expect(closedAfterMs).toBeDefined();
      expect(closedAfterMs!).toBeGreaterThanOrEqual(short.requestTimeoutMs - 50);
      expect(closedAfterMs!).toBeLessThan(short.requestTimeoutMs + 3 * short.timeoutCheckIntervalMs + 500);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(handled).toEqual([]);
    });

    it('cuts off headers that never end', async () => {
      const { answer, closedAfterMs } = await rawExchange(port, 'GET /ip HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5_000);
      expect(closedAfterMs).toBeDefined();
      expect(closedAfterMs!).toBeLessThan(short.headersTimeoutMs + 3 * short.timeoutCheckIntervalMs + 500);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('lets a route take longer than the request timeout to answer (the timeout covers receiving the request only)', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/slow`);
      expect(res.status).toBe(200);
    });
  });

  it('believes X-Forwarded-For only when told whom to trust', async () => {
    const ipSeen = async (trustProxy: TrustProxy) => {
      const { app, port } = await start(HTTP_SERVER_LIMITS, trustProxy);
      try {
        return ((await (await fetch(`http://127.0.0.1:${port}/ip`, { headers: { 'x-forwarded-for': '203.0.113.1, 198.51.100.2' } })).json()) as { ip: string }).ip;
      } finally {
        await app.close();
      }
    };
    expect(await ipSeen(false)).toBe('127.0.0.1');
    // one trusted hop (the balancer in front): the address it saw, the last one it appended
    expect(await ipSeen(1)).toBe('198.51.100.2');
    expect(await ipSeen(['127.0.0.1'])).toBe('198.51.100.2');
    expect(await ipSeen(['10.0.0.0/8'])).toBe('127.0.0.1');
  });
});
