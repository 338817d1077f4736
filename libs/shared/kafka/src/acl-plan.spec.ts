import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_TOPICS, dlqTopicOf, TOPIC_CONSUMERS, TOPICS } from '@paystream/contracts';
import { ACL_PRINCIPALS, aclPlan, type AclRule } from './acl-plan';

const granted = (rules: AclRule[], principal: string) =>
  rules
    .filter((r) => r.principal === `User:${principal}`)
    .map((r) => `${r.operation} ${r.resourceType} ${r.pattern === 'PREFIXED' ? `${r.name}*` : r.name}`)
    .sort();

describe('the ACL plan (ownership: TOPIC_PRODUCERS and TOPIC_CONSUMERS)', () => {
  const plan = aclPlan('');

  it('lets the upstream write payment.requested.v1 and read the outcomes and settlements, nothing else', () => {
    expect(granted(plan, 'upstream')).toEqual(
      [
        'WRITE TOPIC payment.requested.v1',
        'DESCRIBE TOPIC payment.requested.v1',
        ...['payment.succeeded.v1', 'payment.failed.v1', 'payment.refunded.v1', 'settlement.due.v1', 'settlement.completed.v1', 'settlement.failed.v1'].flatMap((t) => [`READ TOPIC ${t}`, `DESCRIBE TOPIC ${t}`]),
        'READ GROUP upstream.*',
      ].sort(),
    );
  });

  it('lets a service write only its own topics and the DLQs of what it consumes', () => {
    const writes = (principal: string) => plan.filter((r) => r.principal === `User:${principal}` && r.operation === 'WRITE').map((r) => r.name);
    expect(writes('settlement').sort()).toEqual(
      ['settlement.due.v1', 'settlement.completed.v1', 'settlement.failed.v1', 'payment.succeeded.v1.dlq', 'payment.refunded.v1.dlq', 'merchant.registered.v1.dlq', 'merchant.updated.v1.dlq', 'credential.issued.v1.dlq', 'credential.revoked.v1.dlq'].sort(),
    );
    expect(writes('risk')).not.toContain(TOPICS.paymentSucceeded);
    expect(writes('order-payment')).toContain(TOPICS.paymentSucceeded);
    expect(writes('order-payment')).not.toContain(TOPICS.paymentRequested);
  });

  it('lets risk read no settlement topic, and each service use only its own group', () => {
    const reads = plan.filter((r) => r.principal === 'User:risk' && r.operation === 'READ').map((r) => r.name);
    expect(reads.filter((n) => n.startsWith('settlement.'))).toEqual([]);
    for (const r of plan.filter((x) => x.resourceType === 'GROUP' && x.operation === 'READ' && !['User:upstream', 'User:dlq-replay', 'User:auditor'].includes(x.principal))) {
      expect(r).toMatchObject({ pattern: 'LITERAL', name: `paystream.${r.principal.slice('User:'.length)}` });
    }
  });

  it('lets ops describe every topic and group and read only its credential copy', () => {
    const ops = granted(plan, 'ops');
    expect(ops).toEqual(expect.arrayContaining(['DESCRIBE TOPIC *', 'DESCRIBE GROUP *', 'READ GROUP paystream.ops']));
    expect(ops.filter((g) => g.startsWith('READ TOPIC') || g.startsWith('WRITE TOPIC'))).toEqual(['READ TOPIC credential.issued.v1', 'READ TOPIC credential.revoked.v1', 'WRITE TOPIC credential.issued.v1.dlq', 'WRITE TOPIC credential.revoked.v1.dlq'].sort());
  });

  it('lets the DLQ replay read the dead-letter topics and write back only topics a Paystream service consumes', () => {
    const replay = plan.filter((r) => r.principal === 'User:dlq-replay');
    const consumed = Object.entries(TOPIC_CONSUMERS).filter(([, c]) => c.some((x) => x !== 'upstream')).map(([t]) => t);
    // what only upstream systems read is never written by a replay (no Paystream consumer dead-letters it)
    for (const upstreamOnly of [TOPICS.settlementDue, TOPICS.settlementCompleted, TOPICS.settlementFailed]) expect(consumed).not.toContain(upstreamOnly);
    expect(replay.filter((r) => r.operation === 'WRITE').map((r) => r.name).sort()).toEqual([...consumed].sort());
    expect(replay.filter((r) => r.operation === 'READ' && r.resourceType === 'TOPIC').map((r) => r.name).sort()).toEqual(consumed.map(dlqTopicOf).sort());
    expect(replay.map((r) => r.name)).not.toContain(TOPICS.merchantPayoutAccountChange);
    expect(granted(plan, 'dlq-replay').filter((g) => g.includes('GROUP'))).toEqual(['READ GROUP paystream-dlq-reader.*']);
  });

  it('lets the auditor read orders, outcomes and DLQs, delete only its own groups, and write nothing', () => {
    const auditor = granted(plan, 'auditor');
    expect(auditor.filter((g) => /^(WRITE|CREATE)/.test(g))).toEqual([]);
    expect(auditor.filter((g) => g.startsWith('READ TOPIC') && !g.endsWith('.dlq'))).toEqual(['READ TOPIC payment.failed.v1', 'READ TOPIC payment.requested.v1', 'READ TOPIC payment.succeeded.v1']);
    expect(auditor.filter((g) => g.includes('GROUP') && g !== 'DESCRIBE GROUP *')).toEqual(['DELETE GROUP auditor.*', 'READ GROUP auditor.*']);
    // every topic's DLQ twin, the ones no service writes to included (the services create a twin of each topic they touch)
    expect(auditor.filter((g) => g.startsWith('READ TOPIC') && g.endsWith('.dlq'))).toEqual(ALL_TOPICS.map((t) => `READ TOPIC ${dlqTopicOf(t)}`).sort());
  });

  it('lets Burrow read the committed offsets and describe everything, nothing else', () => {
    expect(granted(plan, 'burrow')).toEqual(['DESCRIBE GROUP *', 'DESCRIBE TOPIC *', 'DESCRIBE TOPIC __consumer_offsets', 'READ TOPIC __consumer_offsets']);
  });

  it('names every topic and group with the topic prefix', () => {
    const prefixed = aclPlan('t42.');
    expect(prefixed).toHaveLength(plan.length);
    for (const r of prefixed) expect(r.name.startsWith('t42.') || r.name === '__consumer_offsets').toBe(true);
    expect(prefixed).toContainEqual({ principal: 'User:ops', resourceType: 'TOPIC', pattern: 'PREFIXED', name: 't42.', operation: 'DESCRIBE' });
  });

  it('grants nothing twice and only ALLOW rules for the principals kafka.sh creates', () => {
    const keys = plan.map((r) => JSON.stringify(r));
    expect(new Set(keys).size).toBe(keys.length);
    const script = readFileSync(join(__dirname, '../../../../infra/kafka/kafka.sh'), 'utf8');
    const listed = ['SECURE_PRINCIPALS', 'PLAIN_PRINCIPALS'].flatMap((name) => new RegExp(`^${name}="([^"]*)"`, 'm').exec(script)?.[1]?.split(' ') ?? []);
    expect(listed).toEqual([...ACL_PRINCIPALS]);
  });
});
