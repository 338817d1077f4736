import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '@paystream/contracts';
import { ApiError } from './api-error';

/**
 * Refuses, before any controller runs, a request whose path parameters, query, headers or JSON
 * body hold text PostgreSQL cannot store (NUL, lone surrogates): 400 VALIDATION_FAILED naming the
 * field, instead of a 500 from the database. It covers every route, also those whose ids and
 * query parameters reach a query without a zod schema; the body schemas refuse the same text
 * with storableText() for callers that do not come over HTTP.
 */
@Injectable()
export class StorableTextGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const where =
      findUnstorableText(req.params, 'params') ??
      findUnstorableText(req.query, 'query') ??
      findUnstorableText(req.headers, 'headers') ??
      findUnstorableText(req.body, 'body');
    if (where !== undefined) throw new ApiError('VALIDATION_FAILED', `${where}: ${UNSTORABLE_TEXT_MESSAGE}`);
    return true;
  }
}
