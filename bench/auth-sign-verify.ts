/**
 * The per-request cost of merchant authentication, CPU only: signing a request (client side) and
 * verifying it (the guard's HMAC work: derive the key's secret from the pepper, rebuild the string
 * to sign, compare in constant time). The guard's two database round trips (the credential copy and
 * the nonce insert) are not in it: they are ordinary indexed statements, measured with the stack.
 * Usage (after npm run build): node tools/run-dist.js dist/bench/auth-sign-verify.js [iterations]
 */
import { performance } from 'node:perf_hooks';
import { deriveSecret, newCredentialId, newPepper, parsePepper, parseSignatureHeader, signatureHeader, signatureMatches } from '@paystream/shared/auth';

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
