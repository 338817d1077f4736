import type { FastifyInstance } from 'fastify';
import { nextTraceparent, parseTraceparent, runInTrace } from './trace';

/**
 * Runs every request of a Fastify server in a trace context continuing its `traceparent` header.
 * A request without a valid one is given a new trace, written into its headers, so handlers that
 * read the header (and the events they emit) share the trace their log lines show.
 */
export function traceRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.traceparent;
    if (typeof header !== 'string' || !parseTraceparent(header)) request.headers.traceparent = nextTraceparent();
    runInTrace(request.headers.traceparent as string, done);
  });
}
