import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Actors, appendAudit, AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { loadServiceDatabases } from '@paystream/shared/platform';
import { ScratchDatabaseRoles } from '@paystream/shared/testing';
import { VERIFY_EXIT, verifyChains } from './verify-chains';

const WRAPPER = resolve(__dirname, '../../scripts/with-db-roles.sh');
const DATABASES = ['order_payment', 'channel_gateway', 'risk', 'settlement', 'ops', 'merchant'] as const;

/**
 * `npm run audit|dlq|admin` run their CLI through scripts/with-db-roles.sh: each tool gets the URLs of the
 * least roles it needs from the passwords infra/postgres/setup.sh generated, and the auditor's walk of
 * every service's chain works as the read-only roles.
 */
describe('the operator tools as their database roles (scripts/with-db-roles.sh)', () => {
  const roles = new ScratchDatabaseRoles(DATABASES, 'wdr_');
  /** The environment the wrapper hands its command, given the caller's. */
  const envOf = async (tool: string, given: Record<string, string> = {}) => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_DATABASE_URL$/.test(k)));
    const { stdout, stderr } = await promisify(execFile)('bash', [WRAPPER, tool, process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'], {
      env: { ...inherited, ...roles.env, ...given },
    });
    return { env: JSON.parse(stdout) as Record<string, string>, stderr };
  };
  const userOf = (url: string | undefined) => (url === undefined ? undefined : decodeURIComponent(new URL(url).username));
  const databaseOf = (url: string | undefined) => (url === undefined ? undefined : new URL(url).pathname.slice(1));

  beforeAll(async () => {
    await roles.setup();
    // each service's start-up: the audit log migrated by its owner, one row by its runtime role
    for (const db of DATABASES) {
      const ds = await openDatabase({ url: roles.url(db, 'app'), migrationUrl: roles.url(db, 'owner'), schema: roles.schema, migrations: AUDIT_LOG_MIGRATIONS, poolSize: 1 });
      try {
        await inTransaction(ds, (tx) => appendAudit(tx, { actor: Actors.system('roles-spec'), action: 'terms.changed', subject: `merchant:${db}` }));
      } finally {
        await ds.destroy();
      }
    }
  });

  afterAll(() => roles.dispose());

  it("gives the auditor every service's read-only role, and its walk of every chain works as them", async () => {
    const { env, stderr } = await envOf('audit');
    expect(stderr).toBe('');
    const databases = loadServiceDatabases({ ...env, DB_SCHEMA: roles.schema });
    expect(databases.map((d) => [d.service, userOf(d.url), databaseOf(d.url)])).toEqual(
      expect.arrayContaining(DATABASES.map((db) => [db.replace('_', '-'), roles.role(db, 'reader'), roles.database(db)])),
    );
    expect(databases).toHaveLength(DATABASES.length);
    const lines: string[] = [];
    expect(await verifyChains(databases, (line) => lines.push(line))).toBe(VERIFY_EXIT.ok);
    expect(lines.filter((l) => l.startsWith('audit-chain: OK ') && l.includes(' length=1 '))).toHaveLength(DATABASES.length);
  });

  it('gives the admin CLI the merchant runtime role and the owner for migrations, the DLQ CLI the ops runtime role and the registry read-only', async () => {
    const admin = (await envOf('admin')).env;
    expect([userOf(admin.MERCHANT_DATABASE_URL), userOf(admin.MERCHANT_MIGRATION_DATABASE_URL)]).toEqual([roles.role('merchant', 'app'), roles.role('merchant', 'owner')]);
    const dlq = (await envOf('dlq')).env;
    expect([userOf(dlq.OPS_DATABASE_URL), userOf(dlq.MERCHANT_DATABASE_URL), dlq.MERCHANT_MIGRATION_DATABASE_URL]).toEqual([roles.role('ops', 'app'), roles.role('merchant', 'reader'), undefined]);
  });

  it("keeps the caller's URLs as given, adding none beside them, and says which role has no password file", async () => {
    const given = 'postgres://postgres@127.0.0.1:5432/elsewhere';
    const kept = (await envOf('admin', { MERCHANT_DATABASE_URL: given })).env;
    expect([kept.MERCHANT_DATABASE_URL, kept.MERCHANT_MIGRATION_DATABASE_URL]).toEqual([given, undefined]);
    const unset = await envOf('dlq', { PAYSTREAM_PG_PASSWORD_DIR: join(roles.passwordDir, 'none') });
    expect([unset.env.OPS_DATABASE_URL, unset.env.MERCHANT_DATABASE_URL]).toEqual([undefined, undefined]);
    expect(unset.stderr).toMatch(new RegExp(`no .*/${roles.role('ops', 'app')}\\.password`));
  });
});
