import { Controller, Get, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { createLogger } from '@paystream/shared/observability';
import { ApiError, ApiErrorFilter } from './api-error';

/** Routes that answer in plain text on success (the channels' notification endpoints do), and fail. */
@Controller('plain')
class PlainTextController {
  @Get('broken')
  broken(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('content-type', 'text/plain; charset=utf-8');
    throw new Error('Connection terminated unexpectedly'); // the database went away mid-request
  }

  @Get('unavailable')
  unavailable(): string {
    throw new ApiError('CHANNEL_UNAVAILABLE', 'UnionPay did not open a token (timeout)');
  }

  @Get('refused')
  refused(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('content-type', 'text/plain; charset=utf-8');
    throw new ApiError('VALIDATION_FAILED', 'no such thing');
  }
}

@Module({ controllers: [PlainTextController] })
class PlainTextModule {}

describe('ApiErrorFilter', () => {
  let app: NestFastifyApplication;
  const logged: { msg: string; err?: { message: string }; code?: string; detail?: string }[] = [];

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(PlainTextModule, new FastifyAdapter(), { logger: false, abortOnError: false });
    const destination = { write: (line: string) => void logged.push(JSON.parse(line)) };
    app.useGlobalFilters(new ApiErrorFilter(createLogger('test', 'info', destination)));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => app?.close());

  it.each([
    ['an unexpected error', '/plain/broken', 500, 'INTERNAL_ERROR'],
    ['an ApiError', '/plain/refused', 400, 'VALIDATION_FAILED'],
  ])('renders %s as its JSON body even where the route had set a plain-text content type', async (_label, url, status, code) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ error: { code, supportRef: expect.any(String) } });
  });

  it('logs a 5xx it renders from an ApiError with its code and detail (the caller retries; the log says why)', async () => {
    logged.length = 0;
    const res = await app.inject({ method: 'GET', url: '/plain/unavailable' });
    expect(res.statusCode).toBe(503);
    expect(logged).toEqual([expect.objectContaining({ msg: 'request failed; the caller may retry', code: 'CHANNEL_UNAVAILABLE', detail: 'UnionPay did not open a token (timeout)' })]);
  });

  it('logs the error the route threw, not a failure to send the error body', async () => {
    logged.length = 0;
    await app.inject({ method: 'GET', url: '/plain/broken' });
    expect(logged.map((l) => [l.msg, l.err?.message])).toEqual([['unhandled API error', 'Connection terminated unexpectedly']]);
  });
});
