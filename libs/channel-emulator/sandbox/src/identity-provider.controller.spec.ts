import type { FastifyReply } from 'fastify';
import type { Logger } from '@paystream/shared/observability';
import { IdentityProviderController } from './identity-provider.controller';

describe('the sandbox identity provider', () => {
  const logged: unknown[] = [];
  const logger = { info: (o: unknown) => logged.push(o) } as unknown as Logger;
  const provider = new IdentityProviderController(logger);
  let status = 200;
  const reply = { status: (s: number) => (status = s) } as unknown as FastifyReply;
  const request = { name: '张伟', residentId: '11010519491231002X', phone: '13812341234', bankCard: '6225880137453008' };

  beforeEach(() => {
    status = 200;
    logged.length = 0;
  });

  it.each([
    ['matches all four elements by default', {}, { name: 'match', residentId: 'match', phone: 'match', bankCard: 'match' }],
    ['fails phone and card for a phone ending 0000', { phone: '13800000000' }, { name: 'match', residentId: 'match', phone: 'mismatch', bankCard: 'mismatch' }],
    ['fails everything for a name ending 假', { name: '张假' }, { name: 'mismatch', residentId: 'mismatch', phone: 'mismatch', bankCard: 'mismatch' }],
    ['fails everything for 假 even with a 0000 phone', { name: '张假', phone: '13800000000' }, { name: 'mismatch', residentId: 'mismatch', phone: 'mismatch', bankCard: 'mismatch' }],
  ])('%s', (_why, over, result) => {
    const answer = provider.verify({ ...request, ...over }, reply);
    expect(status).toBe(200);
    expect(answer).toEqual({ requestId: expect.stringMatching(/^IDV\d+[0-9a-f]{8}$/), result });
  });

  it('logs no element in the clear', () => {
    provider.verify(request, reply);
    const text = JSON.stringify(logged);
    for (const v of Object.values(request)) expect(text).not.toContain(v);
  });

  it.each([
    ['a missing card', { bankCard: undefined }],
    ['a short ID', { residentId: '1101051949' }],
    ['a phone with letters', { phone: '138abcd1234' }],
  ])('answers 400 INVALID_REQUEST for %s', (_why, over) => {
    expect(provider.verify({ ...request, ...over }, reply)).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(status).toBe(400);
  });
});
