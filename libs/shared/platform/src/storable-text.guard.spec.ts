import type { ExecutionContext } from '@nestjs/common';
import { ApiError } from './api-error';
import { StorableTextGuard } from './storable-text.guard';

const contextOf = (req: Record<string, unknown>): ExecutionContext =>
  ({ getType: () => 'http', switchToHttp: () => ({ getRequest: () => ({ params: {}, query: {}, headers: {}, body: undefined, ...req }) }) }) as unknown as ExecutionContext;

describe('StorableTextGuard', () => {
  const guard = new StorableTextGuard();

  it.each([
    ['a path parameter', { params: { id: 'a\u0000b' } }, 'params.id'],
    ['a query parameter', { query: { orderId: 'x\ud800' } }, 'query.orderId'],
    ['a header', { headers: { 'idempotency-key': 'k\u0000' } }, 'headers.idempotency-key'],
    ['a nested body field', { body: { merchant: { names: ['ok', 'bad\udc00'] } } }, 'body.merchant.names[1]'],
  ])('refuses unstorable text in %s with VALIDATION_FAILED naming it', (_label, req, where) => {
    let thrown: unknown;
    try {
      guard.canActivate(contextOf(req));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringMatching(new RegExp(`^${where.replace(/[.[\]]/g, '\\$&')}: must not contain NUL`)) });
  });

  it('lets storable text through, emoji and raw bodies included', () => {
    expect(guard.canActivate(contextOf({ params: { id: 'p-1' }, query: { q: '茶' }, body: { subject: 'tea 🍵', n: 1, raw: Buffer.from([0]) } }))).toBe(true);
  });
});
