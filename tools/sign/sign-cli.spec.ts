import { authenticate, deriveSecret, newCredentialId, parsePepper, type KnownCredential } from '@paystream/shared/auth';
import { curlArgs, parseSignArgs, pathWithQueryOf, readMerchantKey, signMain, type SignIo } from './sign-cli';

const pepper = parsePepper(Buffer.alloc(32, 3).toString('base64'));
const keyId = newCredentialId({ kind: 'merchant-api-key', mode: 'live' });
const secret = deriveSecret(pepper, keyId);
const NOW = new Date('2026-11-25T08:00:00.000Z');
// what `npm run admin -- key create` prints, after npm's own banner when run without -s
const KEY_FILE = `\n> paystream@0.1.0 admin\n> node tools/run-dist.js dist/tools/admin/admin.js key create --merchant m-1 --mode live\n\n${JSON.stringify({ merchantId: 'm-1', keyId, secret, mode: 'live' })}\n`;
const known: KnownCredential = { credentialId: keyId, kind: 'merchant-api-key', principalId: 'm-1', roles: [], mode: 'live', notBefore: new Date(0), expiresAt: null, revokedAt: null };

function io(files: Record<string, string> = { '.run/m-1.key': KEY_FILE }, env: Record<string, string> = {}) {
  const runs: { command: string; args: string[] }[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const deps: SignIo = {
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: ${path}`);
      return files[path]!;
    },
    env,
    run: (command, args) => (runs.push({ command, args }), 0),
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    now: () => NOW,
  };
  return { deps, runs, out, err };
}

/** What the services' guard makes of a request curl would send with these arguments. */
async function guardSees(args: string[], policies: ['merchant'] = ['merchant']) {
  const at = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
  const method = args[args.indexOf('-X') + 1]!;
  const url = args[args.indexOf('-X') + 2]!;
  const authorization = at('-H').find((h) => h.startsWith('Authorization: '))!.slice('Authorization: '.length);
  return authenticate(
    { method, url: pathWithQueryOf(url), authorization, rawBody: at('--data-binary')[0] ?? '', body: at('--data-binary')[0] ? JSON.parse(at('--data-binary')[0]!) : undefined },
    policies,
    { pepper, moneyMode: 'live', now: () => NOW, credentials: { find: async (id) => (id === keyId ? known : undefined) }, nonces: { record: async () => true } },
  );
}

describe('npm run sign (a signed merchant request by hand)', () => {
  it('runs curl with a signature the services accept, over the body exactly as sent', async () => {
    const body = '{"orderId":"o-1","merchantId":"m-1","userId":"u-1","amountMinor":"12345","currency":"CNY","subject":"Tea"}';
    const f = io();
    expect(signMain(['--key', '.run/m-1.key', 'post', 'localhost:3001/payments', '-H', 'Idempotency-Key: 7f6c-1', '-d', body], f.deps)).toBe(0);
    const [{ command, args }] = f.runs as [{ command: string; args: string[] }];
    expect(command).toBe('curl');
    expect(args.slice(0, 4)).toEqual(['-sS', '-X', 'POST', 'localhost:3001/payments']);
    expect(args).toEqual(expect.arrayContaining(['content-type: application/json', 'Idempotency-Key: 7f6c-1']));
    expect(args.slice(-2)).toEqual(['--data-binary', body]);
    expect(await guardSees(args)).toEqual({ kind: 'merchant', merchantId: 'm-1', keyId, mode: 'live' });
  });

  it('signs the path with its query, a GET without a body, and a body read from a file', async () => {
    const f = io({ '.run/m-1.key': KEY_FILE, 'refund.json': '{"amountMinor":"4000"}' }, { PAYSTREAM_MERCHANT_KEY_FILE: '.run/m-1.key' });
    expect(signMain(['GET', 'http://localhost:3001/payments?orderId=o-1'], f.deps)).toBe(0);
    expect(signMain(['POST', 'localhost:3001/payments/00000000-0000-4000-8000-000000000000/refunds', '-d', '@refund.json'], f.deps)).toBe(0);
    expect(f.runs[0]!.args).not.toContain('--data-binary');
    expect(await guardSees(f.runs[0]!.args)).toMatchObject({ merchantId: 'm-1' });
    expect(f.runs[1]!.args.slice(-1)).toEqual(['{"amountMinor":"4000"}']);
    expect(await guardSees(f.runs[1]!.args)).toMatchObject({ merchantId: 'm-1' });
    // a header signed for another query is refused
    const tampered = f.runs[0]!.args.map((a) => (a.includes('orderId=o-1') ? a.replace('o-1', 'o-2') : a));
    await expect(guardSees(tampered)).rejects.toMatchObject({ reason: 'signature_invalid' });
  });

  it('prints only the Authorization header with --print (key from PAYSTREAM_KEY_ID and PAYSTREAM_KEY_SECRET)', () => {
    const f = io({}, { PAYSTREAM_KEY_ID: keyId, PAYSTREAM_KEY_SECRET: secret });
    expect(signMain(['--print', 'GET', 'localhost:3004/merchants/m-1/balance'], f.deps)).toBe(0);
    expect(f.runs).toEqual([]);
    expect(f.out.join('')).toMatch(new RegExp(`^Authorization: PAYSTREAM-HMAC-SHA256 keyId=${keyId},timestamp=${NOW.getTime() / 1000},nonce=[A-Za-z0-9_-]{16,64},signature=[A-Za-z0-9+/]+=*\\n$`));
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['no key anywhere', ['GET', 'localhost:3001/payments/stats'], {}, /no key: --key FILE/],
    ['a key file that is not there', ['--key', 'nope.key', 'GET', 'localhost:3001/x'], {}, /ENOENT: nope\.key/],
    ['a file holding an operator token', ['--key', 'op.key', 'GET', 'localhost:3001/x'], { 'op.key': '{"operatorId":"a","credentialId":"op_x","token":"op_x.y"}' }, /no merchant key in it/],
    ['an Authorization header of the caller', ['--key', '.run/m-1.key', 'GET', 'localhost:3001/x', '-H', 'authorization: Bearer x'], {}, /the Authorization header is what this tool writes/],
    ['no URL', ['--key', '.run/m-1.key', 'GET'], {}, /METHOD and URL are required/],
    ['an unknown option', ['--key', '.run/m-1.key', '-X', 'GET', 'localhost:3001/x'], {}, /unknown option -X/],
  ])('refuses %s (exit 2, curl not run)', (_what, argv, files, message) => {
    const f = io({ '.run/m-1.key': KEY_FILE, ...files });
    expect(signMain(argv, f.deps)).toBe(2);
    expect(f.err.join('')).toMatch(message);
    expect(f.runs).toEqual([]);
  });

  it('reads the key as admin prints it for key create, key rotate and merchant onboard --with-key', () => {
    expect(readMerchantKey(KEY_FILE)).toEqual({ keyId, secret });
    expect(readMerchantKey(JSON.stringify({ merchantId: 'm-1', keyId, secret, mode: 'live', previous: { keyId: 'pk_live_old', expiresAt: 'x' } }))).toEqual({ keyId, secret });
    expect(readMerchantKey(JSON.stringify({ merchantId: 'm-1', version: 1, key: { keyId, secret, mode: 'live' } }))).toEqual({ keyId, secret });
    expect(parseSignArgs(['get', 'x', 'y'])).toEqual({ error: 'METHOD and URL are required (and nothing else positional)' });
    expect(curlArgs({ method: 'GET', url: 'u', headers: ['content-type: text/plain'], print: false }, 'b', 'A')).toEqual(['-sS', '-X', 'GET', 'u', '-H', 'Authorization: A', '-H', 'content-type: text/plain', '--data-binary', 'b']);
  });
});
