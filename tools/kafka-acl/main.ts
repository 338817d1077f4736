/**
 * Applies the ownership ACLs to the secure broker: node tools/run-dist.js dist/tools/kafka-acl/main.js
 * (KAFKA_BROKERS, KAFKA_SECRETS_DIR, KAFKA_TOPIC_PREFIX: see apply-acls.ts).
 */
import { applyAclsMain } from './apply-acls';

applyAclsMain().catch((error: unknown) => {
  process.stderr.write(`[kafka-acl] ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
