import { verifyAuditChain } from '@paystream/shared/audit-log';
import { createDataSource } from '@paystream/shared/persistence';
import type { DatabaseLimits, ServiceDatabase } from '@paystream/shared/platform';

/** Exit codes of `audit verify`: every chain whole; a chain broken; a chain that could not be read (and none broken). */
export const VERIFY_EXIT = { ok: 0, broken: 1, couldNotVerify: 2 } as const;

/** A database to verify: a service's own, or one named by an audit target. */
export type ChainDatabase = Pick<ServiceDatabase, 'url' | 'schema'> & { service: string };

/**
 * Walks each service's audit chain and prints one line per service: its length and head hash, or
 * its first broken link (kind, seq, expected vs found), or why it could not be read. Returns the exit code.
 */
export async function verifyChains(databases: readonly ChainDatabase[], out: (line: string) => void, limits?: DatabaseLimits): Promise<number> {
  let broken = 0;
  let unreadable = 0;
  for (const db of databases) {
    // no migrations, no schema creation: verifying never changes what it reads
    const ds = createDataSource({ url: db.url, schema: db.schema, migrations: [], poolSize: 1, applicationName: 'paystream-audit-verify', ...limits });
    try {
      await ds.initialize();
      const verdict = await verifyAuditChain(ds);
      if (verdict.status === 'ok') out(`audit-chain: OK ${db.service} length=${verdict.length} head=${verdict.headHash}`);
      else if (verdict.status === 'missing') {
        unreadable++;
        out(`audit-chain: MISSING ${db.service} no audit_log in schema ${db.schema} (has the service run since the audit log was added?)`);
      } else {
        broken++;
        const b = verdict.broken;
        out(`audit-chain: BROKEN ${db.service} seq=${b.seq} ${b.kind} expected=${b.expected} found=${b.found}`);
      }
    } catch (error) {
      unreadable++;
      out(`audit-chain: COULD NOT VERIFY ${db.service} ${(error as Error).message}`);
    } finally {
      if (ds.isInitialized) await ds.destroy();
    }
  }
  out(`audit-chain: ${broken > 0 ? 'BROKEN' : unreadable > 0 ? 'INCOMPLETE' : 'OK'} services=${databases.length} broken=${broken} unreadable=${unreadable}`);
  return broken > 0 ? VERIFY_EXIT.broken : unreadable > 0 ? VERIFY_EXIT.couldNotVerify : VERIFY_EXIT.ok;
}
