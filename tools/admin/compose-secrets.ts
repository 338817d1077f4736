/**
 * The secrets docker-compose's init service writes into the `paystream-secrets` volume (the files
 * scripts/setup.sh writes into .run/ for the non-Docker stack), and how: idempotently, keeping every
 * file that exists, so a restart of the stack keeps its pepper, keys and tokens.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';

/** Where the volume is mounted in every container (read-write only in the init service). */
export const COMPOSE_SECRETS_DIR = '/etc/paystream';

/** The files (and the keys directory) in the volume. */
export const COMPOSE_SECRET_FILES = {
  pepper: 'credential-pepper',
  keysDir: 'keys',
  adminToken: 'admin-token',
  operatorToken: 'operator-token',
  monitoringToken: 'monitoring-token',
  settlementCredentialId: 'settlement-credential-id',
} as const;

/** The pepper's length in bytes (base64 in the file), as scripts/setup.sh makes it. */
export const CREDENTIAL_PEPPER_BYTES = 32;
/** Owner only: the pepper, the keys and the operator tokens. */
const OWNER_ONLY_MODE = 0o600;
/** Owner and group: Prometheus (another user, given the node group) reads the monitoring token to scrape. */
const GROUP_READABLE_MODE = 0o640;

/** Writes a file whole (a temporary file renamed over it), so a crash never leaves half a secret. */
function writeWhole(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, path);
}

const present = (path: string) => existsSync(path) && readFileSync(path, 'utf8').trim() !== '';

/** The pepper and the channel keys (no database needed); returns what it wrote, keeps what exists. */
export function ensureFileSecrets(dir: string): string[] {
  // the volume's mount point exists in the container; a directory of its own elsewhere (owner and group, as the image's)
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const written: string[] = [];
  const pepper = join(dir, COMPOSE_SECRET_FILES.pepper);
  if (!present(pepper)) {
    writeWhole(pepper, randomBytes(CREDENTIAL_PEPPER_BYTES).toString('base64'), OWNER_ONLY_MODE);
    written.push(pepper);
  }
  return [...written, ...ensureChannelKeys(join(dir, COMPOSE_SECRET_FILES.keysDir))];
}

/** Runs the admin CLI once (argv as `npm run admin -- ...` takes it): its exit code and what it printed. */
export type AdminRun = (argv: string[]) => Promise<{ code: number; out: string; err: string }>;

/** One token the init issues through the admin CLI: the file, the field of the CLI's JSON answer it keeps, the command. */
interface Issue {
  file: string;
  field: string;
  argv: (adminTokenFile: string) => string[];
}

/** What scripts/setup.sh issues, in its order: a demo operator (finance, risk, sre, admin), the monitoring and the settlement service tokens. */
const ISSUED_AS_ADMIN: Issue[] = [
  { file: COMPOSE_SECRET_FILES.operatorToken, field: 'token', argv: (t) => ['operator', 'create', '--id', 'demo-operator', '--roles', 'finance,risk,sre,admin', '--token-file', t] },
  { file: COMPOSE_SECRET_FILES.monitoringToken, field: 'token', argv: (t) => ['service-token', 'create', '--service', 'monitoring', '--token-file', t] },
  { file: COMPOSE_SECRET_FILES.settlementCredentialId, field: 'credentialId', argv: (t) => ['service-token', 'create', '--service', 'settlement', '--token-file', t] },
];

const FIRST_ADMIN = ['operator', 'create', '--id', 'admin', '--roles', 'admin'];

/**
 * Issues the tokens that need the merchant registry (Postgres up; the admin CLI migrates the schema):
 * the first admin (as system:setup, or by --break-glass when the registry has an admin this volume
 * holds no token for), then, as that admin, each token whose file is missing. Throws with the CLI's
 * errors on a refusal; returns the files it wrote.
 */
export async function ensureIssuedTokens(dir: string, admin: AdminRun): Promise<string[]> {
  const written: string[] = [];
  const issue = async (file: string, field: string, argv: string[]): Promise<string | undefined> => {
    const path = join(dir, file);
    if (present(path)) return undefined;
    const answer = await admin(argv);
    if (answer.code !== 0) return answer.err.trim() || `exit ${answer.code}`;
    const value = (JSON.parse(answer.out) as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value === '') throw new Error(`admin ${argv.join(' ')}: no ${field} in its answer`);
    writeWhole(path, value, file === COMPOSE_SECRET_FILES.monitoringToken ? GROUP_READABLE_MODE : OWNER_ONLY_MODE);
    written.push(path);
    return undefined;
  };
  const adminToken = join(dir, COMPOSE_SECRET_FILES.adminToken);
  if ((await issue(COMPOSE_SECRET_FILES.adminToken, 'token', FIRST_ADMIN)) !== undefined) {
    const refused = await issue(COMPOSE_SECRET_FILES.adminToken, 'token', [...FIRST_ADMIN, '--break-glass']);
    if (refused !== undefined) throw new Error(`admin ${[...FIRST_ADMIN, '--break-glass'].join(' ')} failed: ${refused}`);
  }
  for (const step of ISSUED_AS_ADMIN) {
    const argv = step.argv(adminToken);
    const refused = await issue(step.file, step.field, argv);
    if (refused !== undefined) throw new Error(`admin ${argv.join(' ')} failed: ${refused}`);
  }
  return written;
}
