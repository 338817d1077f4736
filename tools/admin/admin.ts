import 'reflect-metadata';
import { loadPlatformConfig, type PlatformConfig } from '@paystream/shared/platform';
import { ADMIN_EXIT, adminMain } from './admin-cli';

// npm run admin -- <area> <command>: the merchant service's configuration (MERCHANT_DATABASE_URL, DB_SCHEMA)
let config: PlatformConfig;
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
