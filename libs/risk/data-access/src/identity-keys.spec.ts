import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIdentityKeys, RISK_IDENTITY_KEYS_FILE } from './identity-keys';

describe('where the identity keys come from', () => {
  let dir: string;
  const b64 = () => randomBytes(32).toString('base64');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'risk-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads risk-identity.keys in the keys directory first', () => {
    writeFileSync(join(dir, RISK_IDENTITY_KEYS_FILE), `kf:${b64()}\n`);
    writeFileSync(join(dir, 'card-token.key'), 'A'.repeat(32));
    const { ring, source } = loadIdentityKeys(dir, `ke:${b64()}`);
    expect(source).toBe('file');
    expect(ring.current.id).toBe('kf');
  });

  it('then RISK_IDENTITY_KEYS', () => {
    writeFileSync(join(dir, 'card-token.key'), 'A'.repeat(32));
    const { ring, source } = loadIdentityKeys(dir, `ke2:${b64()},ke1:${b64()}`);
    expect(source).toBe('env');
    expect(ring.current.id).toBe('ke2');
  });

  it('then derives k1 from card-token.key, the same key every time', () => {
    writeFileSync(join(dir, 'card-token.key'), 'A'.repeat(32));
    const first = loadIdentityKeys(dir, undefined);
    expect(first.source).toBe('derived-from-card-token-key');
    expect(first.ring.current.id).toBe('k1');
    const written = first.ring.encrypt('11010519491231002X');
    expect(loadIdentityKeys(dir, '').ring.decrypt(written.keyId, written.ciphertext)).toBe('11010519491231002X');
    // derived, not the token secret itself
    expect(first.ring.current.key.equals(Buffer.from('A'.repeat(32)))).toBe(false);
  });

  it('refuses to start without any of them, saying what to provide', () => {
    expect(() => loadIdentityKeys(dir, undefined)).toThrow(/no identity encryption key.*risk-identity\.keys.*RISK_IDENTITY_KEYS/);
  });

  it('names the source of a malformed key', () => {
    expect(() => loadIdentityKeys(dir, 'k1:short')).toThrow(/^RISK_IDENTITY_KEYS: .*32 bytes/);
    writeFileSync(join(dir, RISK_IDENTITY_KEYS_FILE), 'oops');
    expect(() => loadIdentityKeys(dir, undefined)).toThrow(new RegExp(`${RISK_IDENTITY_KEYS_FILE}: `));
  });
});
