import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Counter, type Registry } from '@paystream/shared/observability';
import { ALLOW_METADATA } from './allow.decorator';
import { AuthRefusal, type AuthRefusalReason } from './auth-refusal';
import { authenticate, type AuthDeps } from './authenticate';
import { PRINCIPAL_PROPERTY, type AuthenticatedRequest, type Policy } from './principal';
import { rateLimitClassOf } from './rate-limit-class.decorator';

/** paystream_auth_refusals_total{reason}: every refused request, by reason. */
export class AuthMetrics {
  readonly refusals: Counter<'reason'>;

  constructor(registry: Registry) {
    const existing = registry.getSingleMetric('paystream_auth_refusals_total') as Counter<'reason'> | undefined;
    this.refusals =
      existing ??
      new Counter({ name: 'paystream_auth_refusals_total', help: 'HTTP requests refused by authentication or authorisation, by reason', labelNames: ['reason'], registers: [registry] });
  }

  refused(reason: AuthRefusalReason): void {
    this.refusals.inc({ reason });
  }
}

/** The policies a handler declares (its own @Allow, else its controller's). */
export function policiesOf(reflector: Reflector, handler: Function, controller: Function): readonly Policy[] | undefined {
  return reflector.getAllAndOverride<readonly Policy[] | undefined>(ALLOW_METADATA, [handler, controller]);
}

/**
 * The one global guard: deny by default. A route without @Allow is refused (the start-up check
 * keeps such a route from existing); public and channel routes pass (a channel route verifies the
 * channel's own signature); every other route needs a signed merchant request or a bearer token
 * whose principal the route allows. The principal is attached to the request for actorOf.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly reflector = new Reflector();

  constructor(
    private readonly deps: AuthDeps,
    private readonly metrics: AuthMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest & { rawBody?: Buffer }>();
    try {
      const policies = policiesOf(this.reflector, context.getHandler(), context.getClass());
      if (!policies || policies.length === 0) throw new AuthRefusal('forbidden', 'the route declares no @Allow');
      if (policies.includes('public')) {
        req[PRINCIPAL_PROPERTY] = { kind: 'public' };
        return true;
      }
      if (policies.includes('channel')) {
        req[PRINCIPAL_PROPERTY] = { kind: 'channel' };
        return true;
      }
      const authorization = req.headers.authorization;
      req[PRINCIPAL_PROPERTY] = await authenticate(
        {
          method: req.method,
          url: req.url,
          authorization: typeof authorization === 'string' ? authorization : undefined,
          rawBody: req.rawBody,
          params: req.params as Record<string, unknown>,
          body: req.body,
          rateLimitClass: rateLimitClassOf(req),
        },
        policies,
        this.deps,
      );
      return true;
    } catch (error) {
      if (error instanceof AuthRefusal) this.metrics.refused(error.reason);
      throw error;
    }
  }
}
