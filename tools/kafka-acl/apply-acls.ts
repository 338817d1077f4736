/**
 * Applies the ownership ACLs (acl-plan.ts) to a secure broker (infra/kafka/kafka.sh, KAFKA_SECURITY=sasl_ssl),
 * logged in as the broker's own principal, the one super user. Idempotent: an ACL the broker has already is
 * no change. Run through main.ts: node tools/run-dist.js dist/tools/kafka-acl/main.js
 * Environment: KAFKA_BROKERS (127.0.0.1:9092), KAFKA_SECRETS_DIR (.run/kafka: ca.pem, kafka-broker.password),
 * KAFKA_TOPIC_PREFIX ('': the topics and groups the ACLs name are prefixed with it, as the services' are).
 */
import { resolve } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { aclPlan, applyAcls, BROKER_PRINCIPAL, secureClientConfig } from '@paystream/shared/kafka';

/** The secure broker's default address (infra/kafka/kafka.sh). */
export const SECURE_BROKER_DEFAULT = '127.0.0.1:9092';

/**
 * Asks the group coordinator about a group as the super user, so the broker creates __consumer_offsets now
 * (kafkajs retries while it is being created): a service's first consumer then finds its coordinator at once.
 */
export async function ensureGroupCoordinator(admin: Admin): Promise<void> {
  await admin.describeGroups(['paystream.ops']);
}

/** The CLI (main.ts): applies the plan for KAFKA_TOPIC_PREFIX to KAFKA_BROKERS and lists it. */
export async function applyAclsMain(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS || SECURE_BROKER_DEFAULT).split(',');
  const secretsDir = resolve(process.env.KAFKA_SECRETS_DIR || '.run/kafka');
  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const rules = aclPlan(prefix);
  const admin = new Kafka({ clientId: 'paystream-kafka-acl', logLevel: logLevel.NOTHING, retry: { retries: 10 }, ...secureClientConfig(brokers, secretsDir, BROKER_PRINCIPAL) }).admin();
  await admin.connect();
  try {
    await applyAcls(admin, rules);
    await ensureGroupCoordinator(admin);
  } finally {
    await admin.disconnect();
  }
  for (const r of rules) process.stdout.write(`${r.principal} ${r.operation} ${r.resourceType} ${r.pattern === 'PREFIXED' ? `${r.name}*` : r.name}\n`);
  process.stdout.write(`[kafka-acl] ${rules.length} ACLs in place on ${brokers.join(',')}\n`);
}
