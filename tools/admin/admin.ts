import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { loadPlatformConfig, type PlatformConfig } from '@paystream/shared/platform';
import { ADMIN_EXIT, adminMain } from './admin-cli';

// npm run admin -- <area> <command>: the merchant service's configuration (MERCHANT_DATABASE_URL, DB_SCHEMA)
let config: PlatformConfig;
// the demo's pepper (scripts/setup.sh writes it) when none is in the environment (neither CREDENTIAL_PEPPER nor CREDENTIAL_PEPPER_FILE)
if (process.env.CREDENTIAL_PEPPER === undefined && !process.env.CREDENTIAL_PEPPER_FILE && existsSync('.run/credential-pepper')) process.env.CREDENTIAL_PEPPER = readFileSync('.run/credential-pepper', 'utf8').trim();
try {
  config = loadPlatformConfig('merchant');
} catch (error) {
  process.stderr.write(`admin refused to start: ${(error as Error).message}\n`);
  process.exit(ADMIN_EXIT.usage);
}
adminMain(process.argv.slice(2), config, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`admin failed: ${(error as Error).stack ?? error}\n`);
    process.exit(ADMIN_EXIT.usage);
  },
);
