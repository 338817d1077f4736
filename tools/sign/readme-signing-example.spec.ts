import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bodySha256, parseSignatureHeader, signatureHeader, signRequest, stringToSign } from '@paystream/shared/auth';

/**
 * The README's worked signing example ("Signing a request"), recomputed from the README's own
 * inputs: a merchant reproducing it by hand gets what the README says, so a typo there fails here.
 */
describe('the README\'s worked signing example', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Signing a request**'));
  /** The cells of the example table's row named `label`, code spans unwrapped. */
  const row = (label: string): string[] => {
    const line = section.split('\n').find((l) => l.startsWith(`| ${label} |`));
    if (!line) throw new Error(`the README's example has no row "${label}"`);
    return [...line.slice(`| ${label} |`.length).matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
  };
  const [keyId] = row('keyId') as [string];
  const [secret] = row('secret') as [string];
  const [method, pathWithQuery] = row('method, path') as [string, string];
  const [body] = row('body') as [string];
  const [timestamp, nonce] = row('timestamp, nonce') as [string, string];
  const parts = { method, pathWithQuery, timestamp: Number(timestamp), nonce, body };

  it('has its body SHA-256 and string to sign', () => {
    expect(bodySha256(body)).toBe(row('body SHA-256')[0]);
    // the README shortens the hash in the string to sign: its start and end must be the hash's
    const [shown] = row('string to sign') as [string];
    const [head, tail] = shown.replace(/\\n/g, '\n').split('…') as [string, string];
    expect(stringToSign(parts).startsWith(head)).toBe(true);
    expect(stringToSign(parts).endsWith(tail)).toBe(true);
    expect(stringToSign(parts).split('\n')).toHaveLength(6);
  });

  it('has its signature and its Authorization header', () => {
    const signature = signRequest(secret, parts);
    expect(row('signature')).toEqual([signature]);
    const header = section.split('\n').find((l) => l.startsWith('Authorization: PAYSTREAM-HMAC-SHA256 '));
    expect(header).toBe(`Authorization: ${signatureHeader(keyId, secret, parts)}`);
    expect(parseSignatureHeader(header!.slice('Authorization: '.length))).toEqual({ keyId, timestamp: parts.timestamp, nonce, signature });
  });
});
