/**
 * docker-compose's init service: writes the pepper, the channel keys and the operator and service
 * tokens into the secrets volume (default /etc/paystream), keeping whatever is there, before any
 * Paystream service starts. Runs after Postgres is healthy: the tokens go into the merchant registry
 * (MERCHANT_DATABASE_URL, its runtime role; the admin CLI migrates its schema as MERCHANT_MIGRATION_DATABASE_URL,
 * its owner role). Usage: compose-init [dir]
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { loadPlatformConfig } from '@paystream/shared/platform';
import { adminMain } from './admin-cli';
import { COMPOSE_SECRET_FILES, COMPOSE_SECRETS_DIR, ensureFileSecrets, ensureIssuedTokens, type AdminRun } from './compose-secrets';

async function main(dir: string): Promise<void> {
  const files = ensureFileSecrets(dir);
  // the registry's configuration, with the pepper just ensured (the credentials' secrets derive from it)
  const config = loadPlatformConfig('merchant', { ...process.env, CREDENTIAL_PEPPER: undefined, CREDENTIAL_PEPPER_FILE: join(dir, COMPOSE_SECRET_FILES.pepper) });
  const admin: AdminRun = async (argv) => {
    const out: string[] = [];
    const err: string[] = [];
    // the CLI acts as the token file it is given, never as one in the environment
    const code = await adminMain(argv, config, { out: (line) => out.push(line), err: (line) => err.push(line) }, {});
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const tokens = await ensureIssuedTokens(dir, admin);
  const wrote = [...files, ...tokens];
  process.stdout.write(wrote.length ? `[init] wrote ${wrote.join(', ')}\n` : `[init] secrets present in ${dir}\n`);
}

main(process.argv[2] ?? COMPOSE_SECRETS_DIR).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[init] failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
