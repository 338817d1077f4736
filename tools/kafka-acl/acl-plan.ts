import { dlqTopicOf, PAYSTREAM_SOURCE_PREFIX, TOPIC_CONSUMERS, TOPIC_PRODUCERS, type ConsumingService, type TopicName } from '@paystream/contracts';

/** What a principal may do to a resource (the Kafka ACL operations this plan grants). */
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE';

/** One ALLOW rule: a principal (User:<name>) may do an operation on a topic or group, by exact name or by prefix. */
export interface AclRule {
  principal: string;
  resourceType: 'TOPIC' | 'GROUP';
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  operation: AclOperation;
}

/** The principals of the secure broker: each Kafka-using service, the upstream order systems and ops (infra/kafka/kafka.sh SECURE_PRINCIPALS). */
export const ACL_PRINCIPALS = ['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant', 'ops', 'upstream'] as const;
export type AclPrincipal = (typeof ACL_PRINCIPALS)[number];

/** The prefix of the consumer groups an upstream order system may use: `upstream.<its name>`. */
export const UPSTREAM_GROUP_PREFIX = 'upstream.';

const ALL = (): TopicName[] => Object.keys(TOPIC_PRODUCERS) as TopicName[];

/** The topics a principal produces (TOPIC_PRODUCERS: its ce_source, or `upstream`). */
export function topicsProducedBy(principal: AclPrincipal): TopicName[] {
  const source = principal === 'upstream' ? 'upstream' : `${PAYSTREAM_SOURCE_PREFIX}${principal}`;
  return ALL().filter((t) => TOPIC_PRODUCERS[t] === source);
}

/** The topics a principal consumes (TOPIC_CONSUMERS). */
export function topicsConsumedByPrincipal(principal: AclPrincipal): TopicName[] {
  return ALL().filter((t) => (TOPIC_CONSUMERS[t] as readonly string[]).includes(principal));
}

/**
 * The ACLs that follow ownership, for topics and groups under `prefix` (KAFKA_TOPIC_PREFIX):
 * - a service writes the topics it produces and the dead-letter topics of the topics it consumes
 *   (a consumer dead-letters what it cannot take), reads the topics it consumes with its own group
 *   `paystream.<service>`, and may create (ensureTopics at start-up) and describe all of these and its own topics' DLQs;
 * - upstream writes payment.requested.v1 and reads the outcomes and settlements, with groups `upstream.*`;
 * - ops besides its own Platform's consumption (the credential copy) describes every topic and group: lag and offsets, nothing more.
 */
export function aclPlan(prefix: string): AclRule[] {
  const rules: AclRule[] = [];
  const add = (principal: AclPrincipal, resourceType: AclRule['resourceType'], pattern: AclRule['pattern'], name: string, operations: AclOperation[]) => {
    for (const operation of operations) rules.push({ principal: `User:${principal}`, resourceType, pattern, name, operation });
  };
  const topic = (t: string) => `${prefix}${t}`;
  for (const principal of ACL_PRINCIPALS) {
    const produces = topicsProducedBy(principal);
    const consumes = topicsConsumedByPrincipal(principal);
    if (principal === 'upstream') {
      for (const t of produces) add(principal, 'TOPIC', 'LITERAL', topic(t), ['WRITE', 'DESCRIBE']);
      for (const t of consumes) add(principal, 'TOPIC', 'LITERAL', topic(t), ['READ', 'DESCRIBE']);
      add(principal, 'GROUP', 'PREFIXED', topic(UPSTREAM_GROUP_PREFIX), ['READ']);
      continue;
    }
    for (const t of produces) {
      add(principal, 'TOPIC', 'LITERAL', topic(t), ['WRITE', 'CREATE', 'DESCRIBE']);
      add(principal, 'TOPIC', 'LITERAL', topic(dlqTopicOf(t)), ['CREATE', 'DESCRIBE']);
    }
    for (const t of consumes) {
      add(principal, 'TOPIC', 'LITERAL', topic(t), ['READ', 'CREATE', 'DESCRIBE']);
      add(principal, 'TOPIC', 'LITERAL', topic(dlqTopicOf(t)), ['WRITE', 'CREATE', 'DESCRIBE']);
    }
    if (consumes.length > 0) add(principal, 'GROUP', 'LITERAL', topic(`paystream.${principal as ConsumingService}`), ['READ']);
    if (principal === 'ops') {
      // every topic and group under the prefix ('' is the literal wildcard '*'), to read lag and offsets
      const [pattern, name]: [AclRule['pattern'], string] = prefix === '' ? ['LITERAL', '*'] : ['PREFIXED', prefix];
      add(principal, 'TOPIC', pattern, name, ['DESCRIBE']);
      add(principal, 'GROUP', pattern, name, ['DESCRIBE']);
    }
  }
  return dedupe(rules);
}

function dedupe(rules: AclRule[]): AclRule[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const key = `${r.principal}|${r.resourceType}|${r.pattern}|${r.name}|${r.operation}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
