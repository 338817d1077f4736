import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { IDENTITY_KEY_BYTES, IdentityKeyRing } from './identity-cipher';

const key = () => randomBytes(IDENTITY_KEY_BYTES);
const spec = (...entries: [string, Buffer][]) => entries.map(([id, k]) => `${id}:${k.toString('base64')}`).join(',');

describe('identity encryption (AES-256-GCM)', () => {
  const ring = IdentityKeyRing.random('k1');

  it.each(['张三', '11010519491231002X', '13812341234', '', '{"province":"北京市"}'])('round-trips %j', (plain) => {
    const { keyId, ciphertext } = ring.encrypt(plain);
    expect(keyId).toBe('k1');
    expect(ciphertext).not.toContain(plain === '' ? '\u0000' : plain);
    expect(ring.decrypt(keyId, ciphertext)).toBe(plain);
  });

  it('encrypts the same text differently each time (a fresh IV)', () => {
    expect(ring.encrypt('13812341234').ciphertext).not.toBe(ring.encrypt('13812341234').ciphertext);
  });

  it.each([
    ['a flipped ciphertext bit', (raw: Buffer) => raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1)],
    ['a flipped tag bit', (raw: Buffer) => raw.writeUInt8(raw.readUInt8(12) ^ 1, 12)],
    ['a flipped IV bit', (raw: Buffer) => raw.writeUInt8(raw.readUInt8(0) ^ 1, 0)],
  ])('refuses a value with %s', (_why, tamper) => {
    const { keyId, ciphertext } = ring.encrypt('11010519491231002X');
    const raw = Buffer.from(ciphertext, 'base64');
    tamper(raw);
    expect(() => ring.decrypt(keyId, raw.toString('base64'))).toThrow();
  });

  it('refuses a truncated value, and one under another key of the same id', () => {
    expect(() => ring.decrypt('k1', Buffer.alloc(20).toString('base64'))).toThrow(/too short/);
    const other = IdentityKeyRing.random('k1');
    expect(() => other.decrypt('k1', ring.encrypt('x').ciphertext)).toThrow();
  });

  it('refuses a key id it does not hold', () => {
    expect(() => ring.decrypt('k0', ring.encrypt('x').ciphertext)).toThrow(/identity key k0 is not configured/);
  });
});

describe('key rotation', () => {
  const old = key();
  const next = key();
  const before = IdentityKeyRing.parse(spec(['k1', old]));
  const after = IdentityKeyRing.parse(spec(['k2', next], ['k1', old]));

  it('reads values written under the old key, and writes new ones under the new key', () => {
    const written = before.encrypt('11010519491231002X');
    expect(written.keyId).toBe('k1');
    expect(after.decrypt(written.keyId, written.ciphertext)).toBe('11010519491231002X');
    const rewritten = after.encrypt(after.decrypt(written.keyId, written.ciphertext));
    expect(rewritten.keyId).toBe('k2');
    expect(after.decrypt(rewritten.keyId, rewritten.ciphertext)).toBe('11010519491231002X');
    // the old ring cannot read what the new key wrote
    expect(() => before.decrypt(rewritten.keyId, rewritten.ciphertext)).toThrow(/k2 is not configured/);
  });

  it('keeps the resident ID lookup hash across rotation (keyed from the oldest key)', () => {
    expect(after.residentIdHash('11010519491231002X')).toBe(before.residentIdHash('11010519491231002X'));
    expect(before.residentIdHash('11010519491231002x')).toBe(before.residentIdHash('11010519491231002X'));
    expect(before.residentIdHash('11010519491231002X')).toMatch(/^[0-9a-f]{64}$/);
    expect(IdentityKeyRing.random().residentIdHash('11010519491231002X')).not.toBe(before.residentIdHash('11010519491231002X'));
  });
});

describe('key configuration', () => {
  it('parses keyId:base64 entries, comma or line separated, # comments skipped', () => {
    const ring = IdentityKeyRing.parse(`# rotated 2025-11\nk2:${key().toString('base64')}\nk1:${key().toString('base64')}`);
    expect(ring.current.id).toBe('k2');
    expect(ring.toJSON()).toEqual({ keyIds: ['k2', 'k1'] });
  });

  it.each([
    ['nothing', '', /at least one/],
    ['no key id', key().toString('base64'), /keyId:base64/],
    ['a 16-byte key', spec(['k1', randomBytes(16)]), /32 bytes/],
    ['a key that is not base64', 'k1:not*base64', /not base64/],
    ['a repeated id', spec(['k1', key()], ['k1', key()]), /listed twice/],
    ['a bad id', spec(['k 1', key()]), /letters, digits/],
  ])('refuses %s', (_why, text, message) => {
    expect(() => IdentityKeyRing.parse(text)).toThrow(message);
  });

  it('never shows key material when logged or serialised', () => {
    const k = key();
    const ring = IdentityKeyRing.parse(spec(['k1', k]));
    expect(JSON.stringify({ ring })).not.toContain(k.toString('base64'));
    expect(inspect(ring)).toBe('IdentityKeyRing(k1)');
  });
});
