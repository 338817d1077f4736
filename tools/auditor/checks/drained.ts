import type { AuditSnapshot } from './snapshot';
import { groupBy, violation, type Violation } from './violation';

/**
 * The stack drained: every consumer group has read everything (lag zero), every outbox row was
 * published, and the dead-letter topics hold only the messages the run dead-lettered on purpose.
 */
export function checkDrained(s: Pick<AuditSnapshot, 'consumerLag' | 'unpublishedOutbox' | 'deadLetters' | 'deliberateDeadLetterIds'>): Violation[] {
  const violations: Violation[] = [];
  for (const [group, rows] of groupBy(s.consumerLag.filter((l) => l.lag > 0), (l) => l.group)) {
    const total = rows.reduce((a, l) => a + l.lag, 0);
    violations.push(violation('CONSUMER_LAG', `consumer group ${group} has ${total} message(s) unread: ${rows.map((l) => `${l.topic}[${l.partition}]=${l.lag}`).join(', ')}`, [group]));
  }
  for (const [service, rows] of groupBy(s.unpublishedOutbox, (r) => r.service)) {
    violations.push(violation('OUTBOX_UNPUBLISHED', `${service} has ${rows.length} outbox row(s) never published (${[...new Set(rows.map((r) => r.topic))].join(', ')})`, rows.map((r) => r.id)));
  }
  const deliberate = new Set(s.deliberateDeadLetterIds);
  for (const [topic, rows] of groupBy(s.deadLetters.filter((d) => d.eventId === undefined || !deliberate.has(d.eventId)), (d) => d.topic)) {
    const reasons = [...new Set(rows.map((d) => d.reason ?? 'no reason'))].join('; ');
    violations.push(violation('DEAD_LETTER_UNEXPECTED', `${topic} holds ${rows.length} message(s) nobody dead-lettered on purpose: ${reasons}`, rows.map((d) => d.eventId ?? d.position)));
  }
  return violations;
}
