import { ApiError } from './api-error';
import { ACTOR_CLAIM_FIELDS, refuseActorClaim } from './claimed-actor';

describe('refuseActorClaim', () => {
  it.each(ACTOR_CLAIM_FIELDS.map((f) => [f]))('refuses a body naming its actor as %s (VALIDATION_FAILED, the field named)', (field) => {
    let thrown: unknown;
    try {
      refuseActorClaim({ note: 'checked', [field]: 'bob' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', extra: { field } });
  });

  it('refuses a claim even when it is empty or null (the field itself is the claim)', () => {
    expect(() => refuseActorClaim({ by: '' })).toThrow(ApiError);
    expect(() => refuseActorClaim({ reviewer: null })).toThrow(ApiError);
  });

  it('lets a body through that names no actor, and what is not a JSON object', () => {
    for (const body of [{ note: 'x', operatorId: 'alice', merchantId: 'm-1' }, {}, undefined, null, 'by', ['by']]) expect(() => refuseActorClaim(body)).not.toThrow();
  });
});
