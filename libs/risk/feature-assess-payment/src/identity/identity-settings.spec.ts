import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIdentitySettings } from './identity-settings';

describe('risk identity settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'risk-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the provider from CHANNEL_EMULATOR_URL and the keys from RISK_IDENTITY_KEYS', () => {
    const s = loadIdentitySettings({ CHANNEL_KEYS_DIR: dir, CHANNEL_EMULATOR_URL: 'http://emulator.local:3100/', RISK_IDENTITY_KEYS: `k9:${randomBytes(32).toString('base64')}` });
    expect(s).toMatchObject({ providerUrl: 'http://emulator.local:3100', providerTimeoutMs: 3000, keySource: 'env' });
    expect(s.keys.current.id).toBe('k9');
  });

  it('derives the key from the card token secret the setup script writes (demo and e2e stack)', () => {
    writeFileSync(join(dir, 'card-token.key'), 'abcdefghijklmnopqrstuvwxyz012345');
    expect(loadIdentitySettings({ CHANNEL_KEYS_DIR: dir })).toMatchObject({ keySource: 'derived-from-card-token-key', providerUrl: 'http://127.0.0.1:3100' });
  });

  it.each([
    ['no key anywhere', {}, /invalid configuration for risk[\s\S]*identity keys: no identity encryption key/],
    ['a malformed RISK_IDENTITY_KEYS', { RISK_IDENTITY_KEYS: 'k1' }, /RISK_IDENTITY_KEYS: identity keys are keyId:base64/],
    ['a provider URL that is not http', { CHANNEL_EMULATOR_URL: 'ftp://x' }, /CHANNEL_EMULATOR_URL/],
    ['a zero timeout', { RISK_IDENTITY_PROVIDER_TIMEOUT_MS: '0' }, /RISK_IDENTITY_PROVIDER_TIMEOUT_MS/],
  ])('refuses to start with %s, saying why', (_why, env, message) => {
    expect(() => loadIdentitySettings({ CHANNEL_KEYS_DIR: dir, ...env })).toThrow(message);
  });
});
