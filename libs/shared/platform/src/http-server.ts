import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { TrustProxy } from './config';

/** Body size limit for every service's HTTP API. */
export const HTTP_BODY_LIMIT_BYTES = 256 * 1024;
/**
 * Receiving one whole request (headers and body) may take this long; a client sending slower than
 * that (a slow loris: headers sent, body never finished) gets 408 and its connection is closed.
 */
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;
/** Receiving a request's headers may take this long (at most the request timeout). */
export const HTTP_HEADERS_TIMEOUT_MS = 5_000;
/** How often Node looks for requests past those timeouts (its default, 30 s, lets a slow client stay up to 30 s longer). */
export const HTTP_TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/**
 * A socket with no byte in either direction for this long is destroyed. It is above the longest a
 * route takes to answer (a reconciliation run reads the channels' bills for up to two minutes), since
 * a socket waiting for its answer is idle too; slow senders are cut by the request timeout.
 */
export const HTTP_CONNECTION_IDLE_TIMEOUT_MS = 180_000;
/**
 * An idle keep-alive connection is closed after this long: above the 60 s idle timeout balancers
 * commonly use, so the balancer closes first and never sends a request onto a socket being closed.
 */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * A longer path parameter is refused (414 URI Too Long). Ids are at most 64 characters; a 64-character
 * id with every character percent-encoded is 192.
 */
export const HTTP_PARAM_LENGTH_MAX_CHARS = 200;
/** Request headers larger than this are refused 431 (Node's default, stated here). */
export const HTTP_HEADERS_SIZE_MAX_BYTES = 16 * 1024;

/** The HTTP server's timeouts and size limits. */
export interface HttpServerLimits {
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  timeoutCheckIntervalMs: number;
  connectionIdleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  paramLengthMaxChars: number;
  headersSizeMaxBytes: number;
}

export const HTTP_SERVER_LIMITS: HttpServerLimits = {
  bodyLimitBytes: HTTP_BODY_LIMIT_BYTES,
  requestTimeoutMs: HTTP_REQUEST_TIMEOUT_MS,
  headersTimeoutMs: HTTP_HEADERS_TIMEOUT_MS,
  timeoutCheckIntervalMs: HTTP_TIMEOUT_CHECK_INTERVAL_MS,
  connectionIdleTimeoutMs: HTTP_CONNECTION_IDLE_TIMEOUT_MS,
  keepAliveTimeoutMs: HTTP_KEEP_ALIVE_TIMEOUT_MS,
  paramLengthMaxChars: HTTP_PARAM_LENGTH_MAX_CHARS,
  headersSizeMaxBytes: HTTP_HEADERS_SIZE_MAX_BYTES,
};

/**
 * The Fastify adapter every service (and ops) runs on: its timeouts and size limits, whom it believes
 * about the client address (`trustProxy`, nobody by default), and the request id from X-Request-Id.
 */
export function serviceHttpAdapter(options: { trustProxy: TrustProxy }, limits: HttpServerLimits = HTTP_SERVER_LIMITS): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: limits.bodyLimitBytes,
    connectionTimeout: limits.connectionIdleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: limits.paramLengthMaxChars },
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.timeoutCheckIntervalMs, maxHeaderSize: limits.headersSizeMaxBytes },
    trustProxy: options.trustProxy,
    genReqId: (req: { headers: IncomingMessage['headers'] }) => String(req.headers['x-request-id'] ?? randomUUID()),
  });
}
