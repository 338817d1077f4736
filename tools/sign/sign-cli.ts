import { authorizationFor, merchantKey } from '@paystream/shared/auth';

/** Exit codes besides curl's own: usage, or no usable key. */
export const SIGN_EXIT = { usage: 2 } as const;

/** Where the key is read from when --key names no file. */
export const SIGN_KEY_FILE_ENV = 'PAYSTREAM_MERCHANT_KEY_FILE';

export const SIGN_USAGE = `usage: npm run -s sign -- [--key FILE] [--print] METHOD URL [-d BODY | -d @FILE] [-H 'Name: value']...
Signs one merchant request (docs/design/trust-boundary.md section 4) and runs curl with it, or with
--print only prints the Authorization header (valid 300 s, for one request: its nonce is used once).
  --key FILE   the merchant key as \`npm run -s admin -- key create --merchant ID --mode live\` printed it
               ({"keyId","secret",...}; default $${SIGN_KEY_FILE_ENV}, or PAYSTREAM_KEY_ID + PAYSTREAM_KEY_SECRET)
  -d BODY      the JSON body, sent byte for byte as signed (content-type: application/json unless -H says)
Example: npm run -s sign -- --key .run/m-1.key GET 'localhost:3001/payments?orderId=o-1'`;

/** What a command line asks for. */
export interface SignRequest {
  method: string;
  url: string;
  /** The body text, or `@FILE` to read it from a file; undefined for none. */
  body?: string;
  headers: string[];
  keyFile?: string;
  print: boolean;
}

/** Reads the command line; a message saying what is wrong when it is not one. */
export function parseSignArgs(argv: readonly string[]): SignRequest | { error: string } {
  const positional: string[] = [];
  const headers: string[] = [];
  let body: string | undefined;
  let keyFile: string | undefined;
  let print = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--key') keyFile = value();
      else if (a === '--print') print = true;
      else if (a === '-d' || a === '--data' || a === '--data-binary') body = value();
      else if (a === '-H' || a === '--header') headers.push(value());
      else if (a.startsWith('-')) return { error: `unknown option ${a}` };
      else positional.push(a);
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  if (positional.length !== 2) return { error: 'METHOD and URL are required (and nothing else positional)' };
  const [method, url] = positional as [string, string];
  if (!/^[A-Za-z]+$/.test(method)) return { error: `not a method: ${method}` };
  if (headers.some((h) => /^authorization\s*:/i.test(h))) return { error: 'the Authorization header is what this tool writes' };
  return { method: method.toUpperCase(), url, body, headers, keyFile, print };
}

/** The path with its query as curl sends it (what is signed); a URL without a scheme is http. */
export function pathWithQueryOf(url: string): string {
  const target = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  return `${target.pathname}${target.search}`;
}

/**
 * The merchant key in a key file: the JSON object `npm run admin -- key create` (or `key rotate`,
 * or `merchant onboard --with-key`, under "key") printed; the last JSON line counts, so npm's
 * banner lines before it do no harm.
 */
export function readMerchantKey(text: string): { keyId: string; secret: string } {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error('no JSON key in it (expected {"keyId","secret",...})');
  const parsed = JSON.parse(line) as { keyId?: unknown; credentialId?: unknown; secret?: unknown; key?: { keyId?: unknown; secret?: unknown } };
  const found = parsed.key ?? parsed;
  const keyId = (found as { keyId?: unknown }).keyId ?? (found as { credentialId?: unknown }).credentialId;
  if (typeof keyId !== 'string' || !/^pk_(live|test)_/.test(keyId) || typeof found.secret !== 'string') throw new Error('no merchant key in it (expected "keyId": "pk_live_..." and "secret")');
  return { keyId, secret: found.secret };
}

/** The curl command line for a signed request: the body sent exactly as signed. */
export function curlArgs(req: SignRequest, body: string, authorization: string): string[] {
  const hasContentType = req.headers.some((h) => /^content-type\s*:/i.test(h));
  return [
    '-sS',
    '-X',
    req.method,
    req.url,
    '-H',
    `Authorization: ${authorization}`,
    ...(body !== '' && !hasContentType ? ['-H', 'content-type: application/json'] : []),
    ...req.headers.flatMap((h) => ['-H', h]),
    ...(body !== '' ? ['--data-binary', body] : []),
  ];
}

/** What the CLI needs from outside: files, the environment, curl, the clock, and where to write. */
export interface SignIo {
  readFile: (path: string) => string;
  env: Record<string, string | undefined>;
  run: (command: string, args: string[]) => number;
  out: (text: string) => void;
  err: (text: string) => void;
  now?: () => Date;
}

/** `npm run sign -- ...`: signs one merchant request and runs curl with it (or prints the header); the exit code. */
export function signMain(argv: readonly string[], io: SignIo): number {
  const req = parseSignArgs(argv);
  if ('error' in req) {
    io.err(`sign: ${req.error}\n${SIGN_USAGE}\n`);
    return SIGN_EXIT.usage;
  }
  let key: { keyId: string; secret: string };
  let body: string;
  try {
    const keyFile = req.keyFile ?? io.env[SIGN_KEY_FILE_ENV];
    if (keyFile !== undefined) key = readMerchantKey(io.readFile(keyFile));
    else if (io.env.PAYSTREAM_KEY_ID && io.env.PAYSTREAM_KEY_SECRET) key = { keyId: io.env.PAYSTREAM_KEY_ID, secret: io.env.PAYSTREAM_KEY_SECRET };
    else throw new Error(`no key: --key FILE, $${SIGN_KEY_FILE_ENV}, or PAYSTREAM_KEY_ID and PAYSTREAM_KEY_SECRET`);
    body = req.body === undefined ? '' : req.body.startsWith('@') ? io.readFile(req.body.slice(1)) : req.body;
  } catch (error) {
    io.err(`sign: ${(error as Error).message}\n`);
    return SIGN_EXIT.usage;
  }
  const authorization = authorizationFor(merchantKey(key.keyId, key.secret), req.method, pathWithQueryOf(req.url), body, io.now?.() ?? new Date());
  if (req.print) {
    io.out(`Authorization: ${authorization}\n`);
    return 0;
  }
  return io.run('curl', curlArgs(req, body, authorization));
}
