import { AuthRefusal, type AuthRefusalReason } from './auth-refusal';
import { authenticate, policyAllows, type AuthDeps, type AuthRequest } from './authenticate';
import type { KnownCredential } from './credential-copy';
import { deriveSecret, newCredentialId, parsePepper } from './derived-secret';
import type { Policy, Principal } from './principal';
import { RateLimited } from './rate-limited';
import { bearerToken, signatureHeader } from './request-signature';

const pepper = parsePepper(Buffer.alloc(32, 7).toString('base64'));
const NOW = new Date('2026-11-25T08:00:00.000Z');
const nowS = NOW.getTime() / 1000;

function credential(kind: KnownCredential['kind'], principalId: string, extra: Partial<KnownCredential> = {}): KnownCredential {
  const credentialId =
    kind === 'merchant-api-key' ? newCredentialId({ kind, mode: extra.mode ?? 'live' }) : kind === 'operator-token' ? newCredentialId({ kind }) : newCredentialId({ kind, service: principalId });
  return { credentialId, kind, principalId, roles: [], mode: kind === 'merchant-api-key' ? 'live' : null, notBefore: new Date(NOW.getTime() - 60_000), expiresAt: null, revokedAt: null, ...extra };
}

const acme = credential('merchant-api-key', 'm-acme');
const testKey = credential('merchant-api-key', 'm-acme', { mode: 'test' });
const revoked = credential('merchant-api-key', 'm-acme', { revokedAt: new Date(NOW.getTime() - 1) });
const expired = credential('merchant-api-key', 'm-acme', { expiresAt: new Date(NOW.getTime() - 1) });
const finance = credential('operator-token', 'alice', { roles: ['finance'] });
const sre = credential('operator-token', 'sam', { roles: ['sre'] });
const monitoring = credential('service-token', 'monitoring');
const all = new Map([acme, testKey, revoked, expired, finance, sre, monitoring].map((c) => [c.credentialId, c]));

function deps(): AuthDeps & { seen: Set<string> } {
  const seen = new Set<string>();
  return {
    pepper,
    moneyMode: 'live',
    now: () => NOW,
    credentials: { find: async (id) => all.get(id) },
    nonces: {
      record: async (keyId, nonce) => {
        if (seen.has(`${keyId}/${nonce}`)) return false;
        seen.add(`${keyId}/${nonce}`);
        return true;
      },
    },
    seen,
  };
}

const body = JSON.stringify({ merchantId: 'm-acme', orderId: 'o-1' });
function signed(c: KnownCredential, o: { timestamp?: number; nonce?: string; secret?: string; body?: string; url?: string; method?: string } = {}): AuthRequest {
  const url = o.url ?? '/payments';
  const method = o.method ?? 'POST';
  const sent = o.body ?? body;
  const authorization = signatureHeader(c.credentialId, o.secret ?? deriveSecret(pepper, c.credentialId), { method, pathWithQuery: url, timestamp: o.timestamp ?? nowS, nonce: o.nonce ?? 'nonce-0123456789abcdef', body: sent });
  return { method, url, authorization, rawBody: sent, body: sent === '' ? undefined : JSON.parse(sent) };
}
const bearerOf = (c: KnownCredential, method = 'GET', secret?: string): AuthRequest => ({ method, url: '/x', authorization: `Bearer ${bearerToken(c.credentialId, secret ?? deriveSecret(pepper, c.credentialId))}`, rawBody: undefined });

async function refusal(req: AuthRequest, policies: Policy[], d = deps()): Promise<AuthRefusalReason | 'accepted'> {
  try {
    await authenticate(req, policies, d);
    return 'accepted';
  } catch (error) {
    if (error instanceof AuthRefusal) return error.reason;
    throw error;
  }
}

describe('authenticate', () => {
  it('accepts a signed merchant request and records its nonce', async () => {
    const d = deps();
    await expect(authenticate(signed(acme), ['merchant'], d)).resolves.toEqual({ kind: 'merchant', merchantId: 'm-acme', keyId: acme.credentialId, mode: 'live' });
    expect(d.seen.size).toBe(1);
  });

  it('accepts operator and service tokens for their policies', async () => {
    await expect(authenticate(bearerOf(finance, 'POST'), ['operator:finance'], deps())).resolves.toMatchObject({ kind: 'operator', operatorId: 'alice', roles: ['finance'] });
    await expect(authenticate(bearerOf(monitoring), ['service:monitoring'], deps())).resolves.toEqual({ kind: 'service', name: 'monitoring', credentialId: monitoring.credentialId });
  });

  it.each<[string, () => AuthRequest, Policy[], AuthRefusalReason]>([
    ['no header', () => ({ method: 'GET', url: '/x', authorization: undefined, rawBody: undefined }), ['merchant'], 'missing'],
    ['another scheme', () => ({ method: 'GET', url: '/x', authorization: 'Basic YTpi', rawBody: undefined }), ['merchant'], 'malformed'],
    ['a broken signature header', () => ({ ...signed(acme), authorization: signed(acme).authorization!.replace('nonce=', 'nonse=') }), ['merchant'], 'malformed'],
    ['a broken bearer', () => ({ ...bearerOf(finance), authorization: 'Bearer op_short.x' }), ['operator:finance'], 'malformed'],
    ['an unknown key', () => signed(credential('merchant-api-key', 'm-acme')), ['merchant'], 'key_unknown'],
    ['an operator token id in a signature', () => ({ ...bearerOf(finance), authorization: `Bearer ${newCredentialId({ kind: 'operator-token' })}.${'a'.repeat(43)}` }), ['operator:finance'], 'key_unknown'],
    ['a revoked key', () => signed(revoked), ['merchant'], 'key_revoked'],
    ['an expired key', () => signed(expired), ['merchant'], 'key_revoked'],
    ['a bad signature', () => signed(acme, { secret: deriveSecret(pepper, 'pk_live_0000000000000000000000') }), ['merchant'], 'signature_invalid'],
    ['a body changed after signing', () => ({ ...signed(acme), rawBody: body.replace('o-1', 'o-2') }), ['merchant'], 'signature_invalid'],
    ['a wrong bearer secret', () => bearerOf(finance, 'GET', 'b'.repeat(43)), ['operator:finance'], 'signature_invalid'],
    ['a stale timestamp', () => signed(acme, { timestamp: nowS - 301 }), ['merchant'], 'timestamp_skew'],
    ['a future timestamp', () => signed(acme, { timestamp: nowS + 301 }), ['merchant'], 'timestamp_skew'],
    ['a test key on live money', () => signed(testKey), ['merchant'], 'mode_mismatch'],
    ['a merchant on an operator route', () => signed(acme), ['operator:finance'], 'forbidden'],
    ['an operator without the role', () => bearerOf(finance, 'POST'), ['operator:risk'], 'forbidden'],
    ['sre writing', () => bearerOf(sre, 'POST'), ['operator:finance'], 'forbidden'],
    ['an operator on a merchant route', () => bearerOf(finance, 'POST'), ['merchant'], 'forbidden'],
    ['another service', () => bearerOf(monitoring), ['service:settlement'], 'forbidden'],
    ['another merchant in the body', () => signed(acme, { body: JSON.stringify({ merchantId: 'm-other' }) }), ['merchant'], 'other_merchant'],
    ['another merchant in the path', () => ({ ...signed(acme, { method: 'GET', url: '/merchants/m-other/balances', body: '' }), body: undefined, params: { merchantId: 'm-other' } }), ['merchant'], 'other_merchant_resource'],
  ])('refuses %s', async (_what, req, policies, reason) => {
    const d = deps();
    expect(await refusal(req(), policies, d)).toBe(reason);
    expect(d.seen.size).toBe(0); // a refusal records no nonce
  });

  it('refuses a replayed nonce', async () => {
    const d = deps();
    const req = signed(acme);
    expect(await refusal(req, ['merchant'], d)).toBe('accepted');
    expect(await refusal(req, ['merchant'], d)).toBe('nonce_replayed');
  });

  it('accepts the edges of the timestamp window', async () => {
    expect(await refusal(signed(acme, { timestamp: nowS - 300, nonce: 'nonce-edge-past-0001' }), ['merchant'])).toBe('accepted');
    expect(await refusal(signed(acme, { timestamp: nowS + 300, nonce: 'nonce-edge-future-001' }), ['merchant'])).toBe('accepted');
  });

  it('lets sre read whatever an operator may read, and nothing more', () => {
    const samP = { kind: 'operator', operatorId: 'sam', roles: ['sre'], credentialId: sre.credentialId } as const;
    expect(policyAllows(['operator:finance'], samP, 'GET')).toBe(true);
    expect(policyAllows(['operator:finance'], samP, 'POST')).toBe(false);
    expect(policyAllows(['merchant'], samP, 'GET')).toBe(false);
    expect(policyAllows(['service:monitoring'], samP, 'GET')).toBe(false);
  });

  describe('rate limits per credential', () => {
    /** A gate that admits `tokens` requests per principal id, records who was admitted and who was given a token back. */
    function limitedDeps(tokens: number) {
      const d = deps();
      const left = new Map<string, number>();
      const admitted: string[] = [];
      const givenBack: string[] = [];
      const idOf = (p: Principal) => (p.kind === 'merchant' ? p.keyId : p.kind === 'operator' || p.kind === 'service' ? p.credentialId : p.kind);
      d.rateLimits = {
        admitPrincipal: (p, routeClass) => {
          const id = idOf(p);
          const n = left.get(id) ?? tokens;
          if (n <= 0) throw new RateLimited('merchant-key', routeClass, 1);
          left.set(id, n - 1);
          admitted.push(`${id}/${routeClass}`);
          return () => {
            left.set(id, (left.get(id) ?? 0) + 1);
            givenBack.push(id);
          };
        },
      };
      return Object.assign(d, { admitted, givenBack });
    }
    const outcome = async (req: AuthRequest, policies: Policy[], d: AuthDeps) => {
      try {
        await authenticate(req, policies, d);
        return 'accepted';
      } catch (error) {
        if (error instanceof RateLimited) return `limited (${error.routeClass})`;
        if (error instanceof AuthRefusal) return error.reason;
        throw error;
      }
    };

    it('takes a token for each verified credential, in the route class, and refuses over the limit before anything is recorded', async () => {
      const d = limitedDeps(2);
      expect(await outcome({ ...signed(acme, { nonce: 'nonce-limit-00000001' }), rateLimitClass: 'card-tokenize' }, ['merchant'], d)).toBe('accepted');
      expect(await outcome(signed(acme, { nonce: 'nonce-limit-00000002' }), ['merchant'], d)).toBe('accepted');
      expect(await outcome(signed(acme, { nonce: 'nonce-limit-00000003' }), ['merchant'], d)).toBe('limited (standard)');
      expect(d.admitted).toEqual([`${acme.credentialId}/card-tokenize`, `${acme.credentialId}/standard`]);
      expect(d.seen.size).toBe(2); // the refused request's nonce was not recorded: it may be sent again
      expect(await outcome(bearerOf(finance, 'POST'), ['operator:finance'], d)).toBe('accepted');
      expect(await outcome(bearerOf(finance, 'POST'), ['operator:finance'], d)).toBe('accepted');
      expect(await outcome(bearerOf(finance, 'POST'), ['operator:finance'], d)).toBe('limited (standard)');
    });

    it('takes nothing from a key for requests that do not prove they hold it (a flood of bad signatures cannot exhaust a merchant)', async () => {
      const d = limitedDeps(1);
      for (let i = 0; i < 5; i++) {
        expect(await outcome(signed(acme, { secret: deriveSecret(pepper, 'pk_live_0000000000000000000000') }), ['merchant'], d)).toBe('signature_invalid');
        expect(await outcome(signed(acme, { timestamp: nowS - 301 }), ['merchant'], d)).toBe('timestamp_skew');
        expect(await outcome(bearerOf(finance, 'GET', 'b'.repeat(43)), ['operator:finance'], d)).toBe('signature_invalid');
      }
      expect(d.admitted).toEqual([]);
      expect(await outcome(signed(acme), ['merchant'], d)).toBe('accepted');
      expect(d.admitted).toEqual([`${acme.credentialId}/standard`]);
    });

    it('gives the token back when the nonce was replayed (whoever replays a captured request does not use up the key)', async () => {
      const d = limitedDeps(1);
      d.seen.add(`${acme.credentialId}/nonce-replayed-00001`); // the key sent this nonce before
      const replay = signed(acme, { nonce: 'nonce-replayed-00001' });
      for (let i = 0; i < 3; i++) expect(await outcome(replay, ['merchant'], d)).toBe('nonce_replayed');
      expect(d.givenBack).toEqual([acme.credentialId, acme.credentialId, acme.credentialId]);
      expect(await outcome(signed(acme, { nonce: 'nonce-after-replay-01' }), ['merchant'], d)).toBe('accepted');
    });
  });
});
