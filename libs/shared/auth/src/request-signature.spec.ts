import { deriveSecret, newCredentialId, parsePepper, secretSha256 } from './derived-secret';
import { bearerToken, bodySha256, parseBearer, parseSignatureHeader, signatureHeader, signatureMatches, signRequest, stringToSign } from './request-signature';

// The worked example of the README ("Signing a request"): a merchant reproduces it in any language.
const EXAMPLE = {
  pepper: 'cGF5c3RyZWFtLXdvcmtlZC1leGFtcGxlLXBlcHBlci0zMmJ5dGVzIQ==',
  keyId: 'pk_test_4eC39HqLyjWDarjtT1zdp7',
  secret: 'gBofqnI1ifSMIE5UpEw33LKpY-hUpCiRdVOd9ki8Beg',
  parts: {
    method: 'POST',
    pathWithQuery: '/payments?expand=risk',
    timestamp: 1767225600,
    nonce: 'n0nce-2026-01-01-000001',
    body: '{"orderId":"ord-1001","merchantId":"m-acme","amountMinor":"12800","currency":"CNY"}',
  },
  bodySha256: '77de477f0c6186e19add49c8937d1558fe7c9c3d05030e7db2b4029979e762c1',
  stringToSign:
    'PAYSTREAM-HMAC-SHA256\nPOST\n/payments?expand=risk\n1767225600\nn0nce-2026-01-01-000001\n77de477f0c6186e19add49c8937d1558fe7c9c3d05030e7db2b4029979e762c1',
  signature: '+oH2MkvTmugwioESAVZuwtXjzy2euwd/Kq6CzNxtgBo=',
};

describe('merchant request signature (worked example)', () => {
  it('derives the secret from the pepper and the key id', () => {
    expect(deriveSecret(parsePepper(EXAMPLE.pepper), EXAMPLE.keyId)).toBe(EXAMPLE.secret);
  });

  it('builds the string to sign and signs it', () => {
    expect(bodySha256(EXAMPLE.parts.body)).toBe(EXAMPLE.bodySha256);
    expect(stringToSign(EXAMPLE.parts)).toBe(EXAMPLE.stringToSign);
    expect(signRequest(EXAMPLE.secret, EXAMPLE.parts)).toBe(EXAMPLE.signature);
  });

  it('writes and reads the Authorization header', () => {
    const header = signatureHeader(EXAMPLE.keyId, EXAMPLE.secret, EXAMPLE.parts);
    expect(header).toBe(`PAYSTREAM-HMAC-SHA256 keyId=${EXAMPLE.keyId},timestamp=1767225600,nonce=n0nce-2026-01-01-000001,signature=${EXAMPLE.signature}`);
    expect(parseSignatureHeader(header)).toEqual({ keyId: EXAMPLE.keyId, timestamp: 1767225600, nonce: 'n0nce-2026-01-01-000001', signature: EXAMPLE.signature });
  });

  it.each([
    ['method', { method: 'PUT' }],
    ['path', { pathWithQuery: '/payments?expand=none' }],
    ['timestamp', { timestamp: 1767225601 }],
    ['nonce', { nonce: 'n0nce-2026-01-01-000002' }],
    ['body', { body: EXAMPLE.parts.body.replace('12800', '12801') }],
  ])('a changed %s does not verify', (_what, change) => {
    expect(signatureMatches(EXAMPLE.secret, EXAMPLE.parts, EXAMPLE.signature)).toBe(true);
    expect(signatureMatches(EXAMPLE.secret, { ...EXAMPLE.parts, ...change }, EXAMPLE.signature)).toBe(false);
  });

  it('another key does not verify', () => {
    expect(signatureMatches(deriveSecret(parsePepper(EXAMPLE.pepper), 'pk_test_4eC39HqLyjWDarjtT1zdp8'), EXAMPLE.parts, EXAMPLE.signature)).toBe(false);
  });

  it.each([
    '',
    'PAYSTREAM-HMAC-SHA256',
    'PAYSTREAM-HMAC-SHA256 keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,timestamp=1767225600,nonce=n0nce-2026-01-01-000001',
    'PAYSTREAM-HMAC-SHA256 keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,timestamp=1,nonce=n0nce-2026-01-01-000001,signature=+oH2MkvTmugwioESAVZuwtXjzy2euwd/Kq6CzNxtgBo=',
    'PAYSTREAM-HMAC-SHA256 keyId=op_4eC39HqLyjWDarjtT1zdp7,timestamp=1767225600,nonce=n0nce-2026-01-01-000001,signature=+oH2MkvTmugwioESAVZuwtXjzy2euwd/Kq6CzNxtgBo=',
    'PAYSTREAM-HMAC-SHA256 keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,timestamp=-5,nonce=n0nce-2026-01-01-000001,signature=+oH2MkvTmugwioESAVZuwtXjzy2euwd/Kq6CzNxtgBo=',
    'PAYSTREAM-HMAC-SHA256 keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,timestamp=1767225600,nonce=short,signature=+oH2MkvTmugwioESAVZuwtXjzy2euwd/Kq6CzNxtgBo=',
    'PAYSTREAM-HMAC-SHA256 keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,timestamp=1767225600,nonce=n0nce-2026-01-01-000001,signature=abc',
    'PAYSTREAM-HMAC-SHA256 keyId=pk_test_4eC39HqLyjWDarjtT1zdp7,timestamp=1767225600,nonce=n0nce-2026-01-01-000001,signature=+oH2MkvTmugwioESAVZuwtXjzy2euwd/Kq6CzNxtgBo=,extra=1',
  ])('refuses the malformed header %j', (header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
  });
});

describe('credentials', () => {
  it('makes ids with their public prefixes', () => {
    expect(newCredentialId({ kind: 'merchant-api-key', mode: 'live' })).toMatch(/^pk_live_[0-9A-Za-z]{22}$/);
    expect(newCredentialId({ kind: 'merchant-api-key', mode: 'test' })).toMatch(/^pk_test_[0-9A-Za-z]{22}$/);
    expect(newCredentialId({ kind: 'operator-token' })).toMatch(/^op_[0-9A-Za-z]{22}$/);
    expect(newCredentialId({ kind: 'service-token', service: 'monitoring' })).toMatch(/^svc_monitoring_[0-9A-Za-z]{22}$/);
  });

  it('reads a bearer token back, and nothing else', () => {
    const id = newCredentialId({ kind: 'operator-token' });
    const secret = deriveSecret(parsePepper(EXAMPLE.pepper), id);
    expect(parseBearer(`Bearer ${bearerToken(id, secret)}`)).toEqual({ credentialId: id, secret });
    expect(parseBearer(`Bearer ${id}`)).toBeUndefined();
    expect(parseBearer(`Bearer ${EXAMPLE.keyId}.${secret}`)).toBeUndefined();
    expect(parseBearer(`Basic ${id}.${secret}`)).toBeUndefined();
  });

  it('stores a hex SHA-256 of the secret, not the secret', () => {
    expect(secretSha256(EXAMPLE.secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(secretSha256(EXAMPLE.secret)).not.toContain(EXAMPLE.secret);
  });

  it.each([undefined, '', 'not base64!', Buffer.alloc(31).toString('base64')])('refuses the pepper %j', (pepper) => {
    expect(() => parsePepper(pepper)).toThrow(/CREDENTIAL_PEPPER/);
  });
});
