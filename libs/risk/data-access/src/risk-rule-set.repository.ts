import { DEFAULT_RULE_SET, DEFAULT_RULE_SET_VERSION, validateRuleSet, type RuleSet } from '@paystream/risk/domain';
import type { EntityManager } from '@paystream/shared/persistence';

/** A rule set version with who published it and why (the built-in default has neither a row nor a time). */
export interface StoredRuleSet {
  ruleSet: RuleSet;
  createdBy: string;
  reason: string;
  createdAt: Date | null;
}

interface Row {
  version: number;
  document: unknown;
  created_by: string;
  reason: string;
  created_at: Date;
}

/** The built-in rule set, in force until somebody publishes one. */
export const BUILT_IN_RULE_SET: StoredRuleSet = { ruleSet: DEFAULT_RULE_SET, createdBy: 'system', reason: 'built-in default', createdAt: null };

function toStored(r: Row): StoredRuleSet {
  // only validated documents are stored; one that no longer validates is a bug to stop on, not to guess around.
  // List values are checked when published only: a version stored before that check stays readable.
  const v = validateRuleSet(r.document, { listValues: false });
  if (!v.ok) throw new Error(`stored risk rule set version ${r.version} is invalid: ${v.problems.join('; ')}`);
  if (v.ruleSet.version !== r.version) throw new Error(`stored risk rule set version ${r.version} says it is version ${v.ruleSet.version}`);
  return { ruleSet: v.ruleSet, createdBy: r.created_by, reason: r.reason, createdAt: r.created_at };
}

export type PublishResult = { ok: true; stored: StoredRuleSet } | { ok: false; code: 'RISK_RULES_VERSION_CONFLICT'; currentVersion: number };

/** Versions of the anomaly rule set: append-only, the newest in force. */
export class RiskRuleSetRepository {
  /** The rule set in force: the newest version, or the built-in default while there is none. */
  async current(tx: EntityManager): Promise<StoredRuleSet> {
    const rows: Row[] = await tx.query(`SELECT * FROM risk_rule_set ORDER BY version DESC LIMIT 1`);
    return rows[0] ? toStored(rows[0]) : BUILT_IN_RULE_SET;
  }

  /**
   * Stores a validated rule set as version expectedVersion + 1, if expectedVersion is still the one in
   * force (optimistic concurrency: of two publishers who read the same version, one wins; the
   * primary key settles a race).
   */
  async publish(tx: EntityManager, p: { ruleSet: RuleSet; createdBy: string; reason: string; expectedVersion: number }): Promise<PublishResult> {
    if (p.ruleSet.version !== p.expectedVersion + 1) throw new Error(`rule set version ${p.ruleSet.version} does not follow ${p.expectedVersion}`);
    const rows: Row[] = await tx.query(
      `INSERT INTO risk_rule_set (version, document, created_by, reason)
       SELECT $1, $2, $3, $4
        WHERE COALESCE((SELECT max(version) FROM risk_rule_set), $5) = $6
       ON CONFLICT (version) DO NOTHING
       RETURNING *`,
      [p.ruleSet.version, JSON.stringify(p.ruleSet), p.createdBy, p.reason, DEFAULT_RULE_SET_VERSION, p.expectedVersion],
    );
    if (rows[0]) return { ok: true, stored: toStored(rows[0]) };
    return { ok: false, code: 'RISK_RULES_VERSION_CONFLICT', currentVersion: (await this.current(tx)).ruleSet.version };
  }

  /** The stored versions, newest first (who published each and why). */
  async history(tx: EntityManager, limit: number): Promise<StoredRuleSet[]> {
    const rows: Row[] = await tx.query(`SELECT * FROM risk_rule_set ORDER BY version DESC LIMIT $1`, [limit]);
    return rows.map(toStored);
  }
}
