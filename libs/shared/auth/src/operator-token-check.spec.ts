import type { AuthRefusalReason } from './auth-refusal';
import { deriveSecret, newCredentialId, parsePepper, secretSha256 } from './derived-secret';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOperatorToken, OPERATOR_TOKEN_ENV, presentedOperatorToken, type RegisteredCredential } from './operator-token-check';
import { bearerToken } from './request-signature';

// the pepper the registry's hashes were made with; checkOperatorToken itself never sees it
const pepper = parsePepper(Buffer.alloc(32, 9).toString('base64'));
const NOW = new Date('2026-11-25T08:00:00.000Z');

function registered(principalId: string, extra: Partial<RegisteredCredential> = {}): RegisteredCredential & { token: string } {
  const credentialId = extra.kind === 'service-token' ? newCredentialId({ kind: 'service-token', service: principalId }) : newCredentialId({ kind: 'operator-token' });
  const secret = deriveSecret(pepper, credentialId);
  return {
    credentialId,
    kind: 'operator-token',
    principalId,
    roles: ['sre'],
    mode: null,
    secretSha256: secretSha256(secret),
    notBefore: new Date(NOW.getTime() - 60_000),
    expiresAt: null,
    revokedAt: null,
    ...extra,
    token: bearerToken(credentialId, secret),
  };
}

const sam = registered('sam');
const alice = registered('alice', { roles: ['finance', 'risk'] });
const gone = registered('gone', { revokedAt: new Date(NOW.getTime() - 1) });
const lapsed = registered('lapsed', { expiresAt: new Date(NOW.getTime() - 1) });
const early = registered('early', { notBefore: new Date(NOW.getTime() + 60_000) });
const service = registered('settlement', { kind: 'service-token' });
const registry = { find: async (id: string) => [sam, alice, gone, lapsed, early, service].find((c) => c.credentialId === id) };

async function refusal(token: string): Promise<AuthRefusalReason | undefined> {
  try {
    await checkOperatorToken(token, 'sre', registry, NOW);
    return undefined;
  } catch (error) {
    return (error as { reason: AuthRefusalReason }).reason;
  }
}

describe('checkOperatorToken (a tool authenticating an operator against the registry)', () => {
  it('accepts an sre operator\'s token: the operator, its roles and credential', async () => {
    expect(await checkOperatorToken(`${sam.token}\n`, 'sre', registry, NOW)).toEqual({ kind: 'operator', operatorId: 'sam', roles: ['sre'], credentialId: sam.credentialId });
  });

  it.each<[string, () => string, AuthRefusalReason]>([
    ['no token', () => '', 'missing'],
    ['a name, not a token', () => 'alice', 'malformed'],
    ['a merchant key id', () => `${newCredentialId({ kind: 'merchant-api-key', mode: 'live' })}.${'x'.repeat(43)}`, 'malformed'],
    ['an unknown operator token', () => bearerToken(newCredentialId({ kind: 'operator-token' }), 'x'.repeat(43)), 'key_unknown'],
    ['a service token', () => service.token, 'key_unknown'],
    ['a revoked token', () => gone.token, 'key_revoked'],
    ['an expired token', () => lapsed.token, 'key_revoked'],
    ['a token not valid yet', () => early.token, 'key_revoked'],
    ['the right id with another secret', () => bearerToken(sam.credentialId, deriveSecret(pepper, alice.credentialId)), 'signature_invalid'],
    ['an operator without the role', () => alice.token, 'forbidden'],
  ])('refuses %s', async (_what, token, reason) => {
    expect(await refusal(token())).toBe(reason);
  });

  it('asks for every role of a list: all of them held, or refused naming the one missing', async () => {
    expect(await checkOperatorToken(alice.token, ['finance', 'risk'], registry, NOW)).toMatchObject({ operatorId: 'alice' });
    await expect(checkOperatorToken(alice.token, ['finance', 'admin'], registry, NOW)).rejects.toMatchObject({ reason: 'forbidden', detail: 'the operator alice has no admin role' });
  });
});

describe('presentedOperatorToken (where a command line finds its operator token)', () => {
  it('reads --token-file first, else the environment variable, else none', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'optok-')), 'token');
    writeFileSync(file, `${sam.token}\n`);
    expect(presentedOperatorToken(file, { [OPERATOR_TOKEN_ENV]: alice.token })).toBe(sam.token);
    expect(presentedOperatorToken(undefined, { [OPERATOR_TOKEN_ENV]: ` ${alice.token} ` })).toBe(alice.token);
    expect(presentedOperatorToken(undefined, { [OPERATOR_TOKEN_ENV]: '  ' })).toBeUndefined();
    expect(() => presentedOperatorToken(join(file, 'missing'), {})).toThrow();
  });
});
