import { createHash } from 'node:crypto';
import { Actors, type Actor } from './actor';
import { canonicalJson } from './canonical-json';

/** The stable action codes an audit row may carry (extend here; never rename one already written). */
export const AUDIT_ACTIONS = [
  'payout.sent',
  'payout.failed',
  'refund.sent',
  'terms.changed',
  'calendar.override.set',
  'calendar.override.removed',
  'rule_set.published',
  'review.decided',
  'dlq.replayed',
  'settlement.created',
  'settlement_run.completed',
  'reconciliation.run',
  // the merchant registry
  'merchant.registered',
  'merchant.updated',
  'merchant.suspended',
  'merchant.reactivated',
  'merchant.closed',
  'payout_account_change.proposed',
  'payout_account_change.approved',
  'payout_account_change.rejected',
  'payout_account_change.cancelled',
  'payout_account_change.effective',
  // credentials (issue 14): keys and tokens issued, rotated and revoked, operators created and disabled
  'credential.issued',
  'credential.rotated',
  'credential.revoked',
  'operator.created',
  'operator.disabled',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The prev_hash of the first row of a chain. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** Longest subject, in characters. */
export const AUDIT_SUBJECT_LENGTH_MAX = 200;

/** What an audit row says: who did what to which thing, with the particulars. */
export interface AuditEntry {
  actor: Actor;
  action: AuditAction;
  /** What it is about, as `<type>:<id>` (e.g. `settlement:<uuid>`, `merchant:m-1`); further ids go in details. */
  subject: string;
  /** Particulars (amounts as bigint or decimal strings); never secrets or card data: mask them. */
  details?: Record<string, unknown>;
}

/** One row of the chain as stored. */
export interface AuditRecord {
  seq: bigint;
  occurredAt: Date;
  actor: string;
  action: string;
  subject: string;
  details: unknown;
  prevHash: string;
  hash: string;
}

/**
 * The canonical content of a row: canonicalJson of {seq, occurredAt, actor, action, subject, details}
 * (seq as a decimal string, occurredAt UTC with milliseconds, actor as `<kind>:<id>`).
 */
export function auditContent(row: Pick<AuditRecord, 'seq' | 'occurredAt' | 'actor' | 'action' | 'subject' | 'details'>): string {
  return canonicalJson({ seq: row.seq, occurredAt: row.occurredAt, actor: row.actor, action: row.action, subject: row.subject, details: row.details });
}

/** hash = lower-case hex SHA-256 of the UTF-8 bytes of prev_hash (64 hex digits) followed by the canonical content. */
export function auditHash(prevHash: string, content: string): string {
  return createHash('sha256').update(prevHash, 'utf8').update(content, 'utf8').digest('hex');
}

// keys that name what must never be in an audit row in the clear: card data, secrets, full account numbers
const FORBIDDEN_DETAIL_KEY = /(^pan$|cardnumber|cvv|cvc|password|secret|pepper|apikey|privatekey|accountno$|token$)/i;

/** The first detail key naming a secret or card data (details must carry masked values under other names), if any. */
export function forbiddenDetailKey(value: unknown, path = 'details'): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = forbiddenDetailKey(v, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN_DETAIL_KEY.test(k)) return `${path}.${k}`;
      const found = forbiddenDetailKey(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** An account or card number as its last four digits, for audit details and logs. */
export function last4(number: string): string {
  return number.length <= 4 ? number : number.slice(-4);
}

/** Checks an entry before it is written (a throw rolls the caller's change back with it). */
export function checkAuditEntry(entry: AuditEntry): void {
  if (!(AUDIT_ACTIONS as readonly string[]).includes(entry.action)) throw new Error(`audit: unknown action ${JSON.stringify(entry.action)}`);
  Actors.format(entry.actor); // a typed actor, but make sure it is one at run time too
  if (!entry.subject || entry.subject.length > AUDIT_SUBJECT_LENGTH_MAX || /\p{Cc}/u.test(entry.subject)) throw new Error(`audit: bad subject ${JSON.stringify(entry.subject)}`);
  const forbidden = forbiddenDetailKey(entry.details ?? {});
  if (forbidden) throw new Error(`audit: ${forbidden} would put a secret or card data in the audit log; mask it (e.g. last4)`);
}
