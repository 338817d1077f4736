import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePepper } from '@paystream/shared/auth';
import { loadMerchantKeys, loadPlatformKeys } from '@paystream/shared/channel-protocols';
import { COMPOSE_SECRET_FILES, ensureFileSecrets, ensureIssuedTokens, type AdminRun } from './compose-secrets';

describe('compose init secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a valid pepper (owner only) and the channel keys both sides load', () => {
    ensureFileSecrets(dir);
    const pepper = join(dir, COMPOSE_SECRET_FILES.pepper);
    expect(parsePepper(readFileSync(pepper, 'utf8')).length).toBe(32);
    expect(statSync(pepper).mode & 0o777).toBe(0o600);
    expect(() => loadMerchantKeys(join(dir, COMPOSE_SECRET_FILES.keysDir))).not.toThrow();
    expect(() => loadPlatformKeys(join(dir, COMPOSE_SECRET_FILES.keysDir))).not.toThrow();
  });

  it('keeps every existing secret on a second run (a restart of the stack)', () => {
    ensureFileSecrets(dir);
    const keysDir = join(dir, COMPOSE_SECRET_FILES.keysDir);
    const before = [join(dir, COMPOSE_SECRET_FILES.pepper), ...readdirSync(keysDir).map((f) => join(keysDir, f))].map((f) => [f, readFileSync(f, 'utf8')]);
    expect(ensureFileSecrets(dir)).toEqual([]);
    expect(before.map(([f]) => [f, readFileSync(f!, 'utf8')])).toEqual(before);
  });

  const answers: Record<string, string> = {
    'operator create --id admin': JSON.stringify({ token: 'op_admin.secret' }),
    'operator create --id demo-operator': JSON.stringify({ token: 'op_demo.secret' }),
    'service-token create --service monitoring': JSON.stringify({ token: 'svc_monitoring_x.secret', credentialId: 'svc_monitoring_x' }),
    'service-token create --service settlement': JSON.stringify({ token: 'svc_settlement_x.secret', credentialId: 'svc_settlement_x' }),
  };
  /** A fake admin CLI: answers by command; refuses the first admin without --break-glass when told the registry has one. */
  function fakeAdmin(registryHasAdmin: boolean): { run: AdminRun; calls: string[][] } {
    const calls: string[][] = [];
    const run: AdminRun = async (argv) => {
      calls.push(argv);
      if (argv.includes('admin') && argv[2] === '--id' && registryHasAdmin && !argv.includes('--break-glass')) return { code: 3, out: '', err: 'an admin exists' };
      const key = Object.keys(answers).find((k) => argv.join(' ').startsWith(k));
      return key ? { code: 0, out: answers[key]!, err: '' } : { code: 2, out: '', err: 'usage' };
    };
    return { run, calls };
  }

  it('issues the first admin, then as that admin the demo operator and the monitoring and settlement service credentials', async () => {
    const admin = fakeAdmin(false);
    await ensureIssuedTokens(dir, admin.run);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(read(COMPOSE_SECRET_FILES.adminToken)).toBe('op_admin.secret');
    expect(read(COMPOSE_SECRET_FILES.operatorToken)).toBe('op_demo.secret');
    expect(read(COMPOSE_SECRET_FILES.monitoringToken)).toBe('svc_monitoring_x.secret');
    expect(read(COMPOSE_SECRET_FILES.settlementCredentialId)).toBe('svc_settlement_x');
    // Prometheus (another user in the node group) reads the monitoring token; the rest stay owner-only
    expect(statSync(join(dir, COMPOSE_SECRET_FILES.monitoringToken)).mode & 0o777).toBe(0o640);
    expect(statSync(join(dir, COMPOSE_SECRET_FILES.adminToken)).mode & 0o777).toBe(0o600);
    expect(admin.calls.slice(1).every((argv) => argv.slice(-2).join(' ') === `--token-file ${join(dir, COMPOSE_SECRET_FILES.adminToken)}`)).toBe(true);
  });

  it('issues nothing on a second run', async () => {
    await ensureIssuedTokens(dir, fakeAdmin(false).run);
    const again = fakeAdmin(false);
    expect(await ensureIssuedTokens(dir, again.run)).toEqual([]);
    expect(again.calls).toEqual([]);
  });

  it('makes an admin by --break-glass when the registry has one this volume holds no token for', async () => {
    const admin = fakeAdmin(true);
    await ensureIssuedTokens(dir, admin.run);
    expect(admin.calls[1]).toContain('--break-glass');
    expect(readFileSync(join(dir, COMPOSE_SECRET_FILES.adminToken), 'utf8')).toBe('op_admin.secret');
  });

  it('fails, with the CLI errors, when a token is refused (the services then do not start)', async () => {
    writeFileSync(join(dir, COMPOSE_SECRET_FILES.adminToken), 'op_admin.secret');
    const refusing: AdminRun = async () => ({ code: 3, out: '', err: 'REFUSED OPERATOR_TOKEN_INVALID' });
    await expect(ensureIssuedTokens(dir, refusing)).rejects.toThrow(/demo-operator.*OPERATOR_TOKEN_INVALID/);
  });
});
