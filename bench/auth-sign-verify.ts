/**
 * The per-request cost of merchant authentication, CPU only: signing a request (client side) and
 * verifying it (the guard's HMAC work: derive the key's secret from the pepper, rebuild the string
 * to sign, compare in constant time). The guard's two database round trips (the credential copy and
 * the nonce insert) are not in it: they are ordinary indexed statements, measured with the stack.
 * Then the guard's whole work per request, `authenticate()` against a real Postgres (its credential
 * copy read and its nonce insert, on a scratch schema, one request at a time), next to a bare
 * `SELECT 1` round trip on the same connection, so the database's share is seen.
 * Usage (after npm run build): node tools/run-dist.js dist/bench/auth-sign-verify.js [iterations]
 * (PGURL: the database, default postgres://postgres@127.0.0.1:5432/paystream_test)
 */
import { performance } from 'node:perf_hooks';
import { AUTH_MIGRATIONS, authenticate, CredentialCopy, deriveSecret, newCredentialId, newNonce, newPepper, NonceStore, parsePepper, parseSignatureHeader, signatureHeader, signatureMatches } from '@paystream/shared/auth';
import { openDatabase } from '@paystream/shared/persistence';

const iterations = Number(process.argv[2] ?? 50_000);
const pepper = parsePepper(newPepper());
const keyId = newCredentialId({ kind: 'merchant-api-key', mode: 'live' });
const secret = deriveSecret(pepper, keyId);
const body = JSON.stringify({ orderId: 'ord-000001', merchantId: 'merchant-0', userId: 'shopper-1', amountMinor: '12800', currency: 'CNY', channel: 'alipay', subject: 'tea' });
const parts = (nonce: string) => ({ method: 'POST', pathWithQuery: '/payments', timestamp: Math.floor(Date.now() / 1000), nonce, body });

function measure(label: string, run: (i: number) => void): void {
  for (let i = 0; i < 2_000; i++) run(i); // warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) run(i);
  const ms = performance.now() - start;
  process.stdout.write(`${label.padEnd(34)} ${Math.round((iterations / ms) * 1000).toLocaleString('en').padStart(10)} ops/s  ${((ms * 1000) / iterations).toFixed(2).padStart(7)} µs/op\n`);
}

const headers: string[] = [];
measure('sign (client: header for a request)', (i) => {
  headers[i % 1024] = signatureHeader(keyId, secret, parts(`nonce-${i.toString().padStart(16, '0')}`));
});
measure('verify (guard: parse, derive, compare)', (i) => {
  const h = parseSignatureHeader(headers[i % 1024]!)!;
  if (!signatureMatches(deriveSecret(pepper, h.keyId), { method: 'POST', pathWithQuery: '/payments', timestamp: h.timestamp, nonce: h.nonce, body }, h.signature)) throw new Error('did not verify');
});

/** Awaited runs, one at a time, in µs per request. */
async function measureAsync(label: string, n: number, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await run(-1 - i); // warm up
  const start = performance.now();
  for (let i = 0; i < n; i++) await run(i);
  const ms = performance.now() - start;
  const us = (ms * 1000) / n;
  process.stdout.write(`${label.padEnd(34)} ${Math.round((n / ms) * 1000).toLocaleString('en').padStart(10)} ops/s  ${us.toFixed(2).padStart(7)} µs/op\n`);
  return us;
}

async function guardWithDatabase(): Promise<void> {
  const schema = `bench_auth_${process.pid}`;
  const url = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/paystream_test';
  const ds = await openDatabase({ url, schema, migrations: AUTH_MIGRATIONS, poolSize: 2, applicationName: 'paystream-bench-auth' });
  try {
    const credentials = new CredentialCopy(ds);
    await credentials.applyIssued(ds.manager, { credentialId: keyId, kind: 'merchant-api-key', principalId: 'merchant-0', mode: 'live', notBefore: new Date(0).toISOString(), expiresAt: null, issuedAt: new Date(0).toISOString() });
    const deps = { pepper, credentials, nonces: new NonceStore(ds), moneyMode: 'live' as const, now: () => new Date() };
    const n = Math.min(iterations, 5_000);
    const roundTrip = await measureAsync('postgres round trip (SELECT 1)', n, () => ds.query('SELECT 1'));
    const guard = await measureAsync('guard (verify + copy read + nonce)', n, () => {
      const header = signatureHeader(keyId, secret, { ...parts(newNonce()), timestamp: Math.floor(Date.now() / 1000) });
      return authenticate({ method: 'POST', url: '/payments', authorization: header, rawBody: body }, ['merchant'], deps).then((p) => {
        if (p.kind !== 'merchant') throw new Error('not the merchant');
      });
    });
    process.stdout.write(`guard / round trip                 ${(guard / roundTrip).toFixed(2).padStart(10)} x\n`);
  } finally {
    await ds.query(`DROP SCHEMA "${schema}" CASCADE`);
    await ds.destroy();
  }
}

void guardWithDatabase().catch((error: unknown) => {
  process.stderr.write(`guard with database: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
