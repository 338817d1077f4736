import { dlqTopicOf, PAYSTREAM_SOURCE_PREFIX, TOPIC_CONSUMERS, TOPIC_PRODUCERS, type ConsumingService, type TopicName } from '@paystream/contracts';

/** What a principal may do to a resource (the Kafka ACL operations this plan grants). */
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DELETE';

/** One ALLOW rule: a principal (User:<name>) may do an operation on a topic or group, by exact name or by prefix. */
export interface AclRule {
  principal: string;
  resourceType: 'TOPIC' | 'GROUP';
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  operation: AclOperation;
}

/**
 * The principals of the secure broker (infra/kafka/kafka.sh SECURE_PRINCIPALS): each Kafka-using service, the
 * upstream order systems, ops, the DLQ replay (npm run dlq), the auditor, and Burrow (the lag checker; SASL/PLAIN:
 * kafka.sh PLAIN_PRINCIPALS).
 */
export const ACL_PRINCIPALS = ['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant', 'ops', 'upstream', 'dlq-replay', 'auditor', 'burrow'] as const;
export type AclPrincipal = (typeof ACL_PRINCIPALS)[number];

/** The prefix of the consumer groups an upstream order system may use: `upstream.<its name>`. */
export const UPSTREAM_GROUP_PREFIX = 'upstream.';
/** The prefix of the throwaway groups the DLQ reader uses (libs/ops/feature-dlq DeadLetterReader), under the topic prefix. */
export const DLQ_READER_GROUP_PREFIX = 'paystream-dlq-reader.';
/** The prefix of the throwaway groups the auditor reads with (tools/auditor, deleted after the read). */
export const AUDITOR_GROUP_PREFIX = 'auditor.';
/** Kafka's own topic of committed offsets (never prefixed), which Burrow reads. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
/** The topics the auditor reads besides every DLQ: orders and their outcomes. */
const AUDITED_TOPICS = ['payment.requested.v1', 'payment.succeeded.v1', 'payment.failed.v1'] as const;

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
 * - ops besides its own Platform's consumption (the credential copy) describes every topic and group: lag and offsets, nothing more;
 * - dlq-replay reads the DLQs and writes only the topics a Paystream service consumes (so a DLQ), with groups `paystream-dlq-reader.*`;
 * - the auditor reads the orders, outcomes and DLQs with groups `auditor.*` it may delete, and describes everything;
 * - burrow reads __consumer_offsets and describes everything.
 */
export function aclPlan(prefix: string): AclRule[] {
  const rules: AclRule[] = [];
  const add = (principal: AclPrincipal, resourceType: AclRule['resourceType'], pattern: AclRule['pattern'], name: string, operations: AclOperation[]) => {
    for (const operation of operations) rules.push({ principal: `User:${principal}`, resourceType, pattern, name, operation });
  };
  const topic = (t: string) => `${prefix}${t}`;
  // every topic and group under the prefix ('' is the literal wildcard '*')
  const everything = (principal: AclPrincipal, operations: AclOperation[]) => {
    const [pattern, name]: [AclRule['pattern'], string] = prefix === '' ? ['LITERAL', '*'] : ['PREFIXED', prefix];
    add(principal, 'TOPIC', pattern, name, operations);
    add(principal, 'GROUP', pattern, name, operations);
  };
  for (const principal of ACL_PRINCIPALS) {
    const produces = topicsProducedBy(principal);
    const consumes = topicsConsumedByPrincipal(principal);
    if (principal === 'dlq-replay') {
      // reads every dead-letter topic a Paystream consumer writes, and writes back only to topics a Paystream service
      // consumes (the code also checks that a message goes back to its own DLQ's original topic): never a topic
      // only upstream systems read (settlement.due.v1), no group of any service
      for (const t of ALL().filter((x) => TOPIC_CONSUMERS[x].some((c) => c !== 'upstream'))) {
        add(principal, 'TOPIC', 'LITERAL', topic(dlqTopicOf(t)), ['READ', 'DESCRIBE']);
        add(principal, 'TOPIC', 'LITERAL', topic(t), ['WRITE', 'DESCRIBE']);
      }
      add(principal, 'GROUP', 'PREFIXED', topic(DLQ_READER_GROUP_PREFIX), ['READ']);
      continue;
    }
    if (principal === 'auditor') {
      // reads orders, outcomes and DLQs with throwaway groups it deletes, and the services' lag: writes nothing
      for (const t of AUDITED_TOPICS) add(principal, 'TOPIC', 'LITERAL', topic(t), ['READ', 'DESCRIBE']);
      // every DLQ: the services create a DLQ twin of each topic they touch, and the auditor reads whatever is there
      for (const t of ALL()) add(principal, 'TOPIC', 'LITERAL', topic(dlqTopicOf(t)), ['READ', 'DESCRIBE']);
      add(principal, 'GROUP', 'PREFIXED', topic(AUDITOR_GROUP_PREFIX), ['READ', 'DELETE']);
      everything(principal, ['DESCRIBE']);
      continue;
    }
    if (principal === 'burrow') {
      // Burrow reads the commits themselves from __consumer_offsets and every topic's offsets: lag, nothing more
      add(principal, 'TOPIC', 'LITERAL', CONSUMER_OFFSETS_TOPIC, ['READ', 'DESCRIBE']);
      everything(principal, ['DESCRIBE']);
      continue;
    }
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
    // ops reads lag and offsets: it describes every topic and group, nothing more
    if (principal === 'ops') everything(principal, ['DESCRIBE']);
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
