import type { DataSource } from 'typeorm';
import { AUDIT_GENESIS_HASH, auditContent, auditHash } from './audit-entry';
import { auditRowsAfter } from './audit-log';

/** Rows read per query while walking a chain. */
export const AUDIT_VERIFY_BATCH_SIZE = 1_000;

/**
 * Where a chain breaks: `gap` (a row missing: expected that seq, found a later one), `prev_hash`
 * (a row not linked to the one before), `hash` (a row's content or hash changed), `head` (the head
 * row disagrees with the last row: rows cut off the end, or the head moved).
 */
export interface ChainBreak {
  kind: 'gap' | 'prev_hash' | 'hash' | 'head';
  seq: bigint;
  expected: string;
  found: string;
}

export type ChainVerdict =
  | { status: 'ok'; length: bigint; headHash: string }
  | { status: 'broken'; broken: ChainBreak }
  | { status: 'missing' };

/** Walks the audit chain of one database in one consistent snapshot and reports its head or its first broken link. */
export async function verifyAuditChain(ds: DataSource, batchSize = AUDIT_VERIFY_BATCH_SIZE): Promise<ChainVerdict> {
  return ds.transaction('REPEATABLE READ', async (tx) => {
    const [table]: { found: string | null }[] = await tx.query(`SELECT to_regclass('audit_log')::text AS found`);
    if (!table?.found) return { status: 'missing' } as const;
    let seq = 0n;
    let hash = AUDIT_GENESIS_HASH;
    for (;;) {
      const rows = await auditRowsAfter(tx, seq, batchSize);
      for (const row of rows) {
        const expectedSeq = seq + 1n;
        if (row.seq !== expectedSeq) return broken('gap', expectedSeq, `seq ${expectedSeq}`, `seq ${row.seq}`);
        if (row.prevHash !== hash) return broken('prev_hash', row.seq, hash, row.prevHash);
        const recomputed = auditHash(row.prevHash, auditContent(row));
        if (recomputed !== row.hash) return broken('hash', row.seq, recomputed, row.hash);
        seq = row.seq;
        hash = row.hash;
      }
      if (rows.length < batchSize) break;
    }
    const [head]: { seq: string; hash: string }[] = await tx.query(`SELECT seq, hash FROM audit_log_head WHERE id = 1`);
    if (!head || BigInt(head.seq) !== seq || head.hash !== hash) {
      return broken('head', seq + 1n, `head at seq ${seq} ${hash}`, head ? `head at seq ${head.seq} ${head.hash}` : 'no head row');
    }
    return { status: 'ok', length: seq, headHash: hash } as const;
  });
}

function broken(kind: ChainBreak['kind'], seq: bigint, expected: string, found: string): ChainVerdict {
  return { status: 'broken', broken: { kind, seq, expected, found } };
}
