import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '@paystream/contracts';
import { AuthRefusal, RateLimited } from '@paystream/shared/auth';
import type { Logger } from '@paystream/shared/observability';

/** An API failure with a stable code from the catalogue; rendered as a 4xx/5xx JSON body. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? ERROR_CODES[code].messageEn);
    this.name = 'ApiError';
  }
}

/** The JSON error body every service returns. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    messageZh: string;
    retryable: boolean;
    action: string;
    supportRef: string;
    detail?: string;
    [k: string]: unknown;
  };
}

/** The body of an error answer with this code (the shape every error of every service has). */
export function apiErrorBody(code: ErrorCode, supportRef: string, detail?: string, extra: Record<string, unknown> = {}): ApiErrorBody {
  const def = ERROR_CODES[code];
  const body: ApiErrorBody = { error: { code, message: def.messageEn, messageZh: def.messageZh, retryable: def.retryable, action: def.action, supportRef, ...extra } };
  if (detail) body.error.detail = detail;
  return body;
}

/**
 * Answers 429 RATE_LIMITED with Retry-After from outside Nest (a Fastify hook, before the body is read),
 * in the same shape the error filter gives a RateLimited thrown by the guard.
 */
export function sendRateLimited(reply: FastifyReply, supportRef: string, limited: RateLimited): FastifyReply {
  return reply
    .status(ERROR_CODES.RATE_LIMITED.httpStatus)
    .header('retry-after', String(limited.retryAfterS))
    .header('content-type', 'application/json; charset=utf-8')
    .send(apiErrorBody('RATE_LIMITED', supportRef, undefined, { retryAfterSeconds: limited.retryAfterS }));
}

/** Renders ApiError (and anything else, as INTERNAL_ERROR / VALIDATION_FAILED) with a support reference. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const supportRef = String(request.id ?? randomUUID());
    let code: ErrorCode = 'INTERNAL_ERROR';
    let detail: string | undefined;
    let extra: Record<string, unknown> = {};
    let status: number;
    if (exception instanceof ApiError) {
      code = exception.code;
      detail = exception.detail;
      extra = exception.extra;
      status = ERROR_CODES[code].httpStatus;
    } else if (exception instanceof AuthRefusal) {
      // the reason is the metric label; the body says only the stable code (and what to fix, for a malformed header)
      code = exception.code;
      detail = exception.reason === 'malformed' ? exception.detail : undefined;
      status = ERROR_CODES[code].httpStatus;
    } else if (exception instanceof RateLimited) {
      code = exception.code;
      extra = { retryAfterSeconds: exception.retryAfterS };
      status = ERROR_CODES[code].httpStatus;
      void reply.header('retry-after', String(exception.retryAfterS));
    } else if (exception instanceof HttpException && exception.getStatus() < 500) {
      // Framework-level 4xx (bad JSON, unknown route): a request problem, not ours.
      status = exception.getStatus();
      code = status === 404 ? 'RESOURCE_NOT_FOUND' : 'VALIDATION_FAILED';
      detail = exception.message;
    } else {
      status = 500;
      this.logger.error({ err: exception, supportRef, url: request.url }, 'unhandled API error');
    }
    const body = apiErrorBody(code, supportRef, detail, extra);
    // a 429 is counted (paystream_rate_limited_total), not logged: a flood must not become a flood of log lines
    const quiet = exception instanceof RateLimited;
    if (status >= 400 && status < 500 && !quiet) this.logger.info({ code, supportRef, url: request.url, detail }, 'request rejected');
    // a 5xx we chose (a channel that did not answer, a dependency down): the caller retries, the log says why
    else if (exception instanceof ApiError && status >= 500) this.logger.warn({ code, supportRef, url: request.url, detail }, 'request failed; the caller may retry');
    // a route that answers in plain text (the channels' notification endpoints) set its content type
    // before it failed: the JSON body needs its own, or fastify refuses to send an object
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
