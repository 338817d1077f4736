import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { testDatabaseUrl, uniqueId } from './infra';

/** The login roles infra/postgres/setup.sh gives each service database (README "Database roles"). */
export const DATABASE_ROLE_KINDS = ['owner', 'app', 'reader'] as const;
export type DatabaseRoleKind = (typeof DATABASE_ROLE_KINDS)[number];

/** infra/postgres/setup.sh, found from this file (libs/shared/testing/src) or its compiled copy (dist/...). */
function setupScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const script = join(dir, 'infra', 'postgres', 'setup.sh');
    if (existsSync(script)) return script;
    if (dirname(dir) === dir) throw new Error(`no infra/postgres/setup.sh above ${__dirname}`);
  }
}

/**
 * The service databases and roles of infra/postgres/setup.sh, made by the script itself on the test
 * server under a scratch prefix (databases `<prefix>_<svc>`, roles `<prefix>_<svc>_<kind>`, passwords
 * in a temporary folder), so a spec connects as each role exactly as a deployment would. `services`
 * are the script's database names (merchant, ops, order_payment, ...). dispose() drops them all.
 */
export class ScratchDatabaseRoles {
  readonly prefix: string;
  /** The schema the script gives the owner role (DB_SCHEMA). */
  readonly schema = 'paystream';
  readonly passwordDir = mkdtempSync(join(tmpdir(), 'paystream-pg-roles-'));
  private readonly admin = new URL(testDatabaseUrl('postgres'));

  constructor(readonly services: readonly string[], label = 'pgr_') {
    this.prefix = uniqueId(label);
  }

  /** The script's environment: the test server as superuser, this prefix, these services, this password folder. */
  get env(): Record<string, string> {
    return {
      PGHOST: this.admin.hostname,
      PGPORT: this.admin.port || '5432',
      PGUSER: 'postgres',
      PAYSTREAM_DB_PREFIX: this.prefix,
      PAYSTREAM_DB_SERVICES: this.services.join(' '),
      PAYSTREAM_PG_PASSWORD_DIR: this.passwordDir,
      DB_SCHEMA: this.schema,
    };
  }

  /** Runs infra/postgres/setup.sh (idempotent: again and again). */
  async setup(): Promise<void> {
    await promisify(execFile)('bash', [setupScript()], { env: { ...process.env, ...this.env } });
  }

  database(svc: string): string {
    return `${this.prefix}_${svc}`;
  }

  role(svc: string, kind: DatabaseRoleKind): string {
    return `${this.prefix}_${svc}_${kind}`;
  }

  passwordFile(svc: string, kind: DatabaseRoleKind): string {
    return join(this.passwordDir, `${this.role(svc, kind)}.password`);
  }

  /** The URL of svc's role of this kind, into svc's own database or (to be refused) another's. */
  url(svc: string, kind: DatabaseRoleKind, db = svc): string {
    return `postgres://${this.role(svc, kind)}:${readFileSync(this.passwordFile(svc, kind), 'utf8')}@${this.admin.host}/${this.database(db)}`;
  }

  /** The superuser's URL into svc's database (what the tools connected as before the roles). */
  superuserUrl(svc: string): string {
    return `postgres://postgres@${this.admin.host}/${this.database(svc)}`;
  }

  /** Drops the databases (their connections forced closed) and the roles, and the password folder. */
  async dispose(): Promise<void> {
    const pg = new Client({ connectionString: this.admin.toString() });
    await pg.connect();
    try {
      for (const svc of this.services) {
        await pg.query(`DROP DATABASE IF EXISTS "${this.database(svc)}" WITH (FORCE)`);
        for (const kind of DATABASE_ROLE_KINDS) await pg.query(`DROP ROLE IF EXISTS "${this.role(svc, kind)}"`);
      }
    } finally {
      await pg.end();
    }
    rmSync(this.passwordDir, { recursive: true, force: true });
  }
}
