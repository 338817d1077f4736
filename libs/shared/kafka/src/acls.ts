import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Admin, type KafkaConfig } from 'kafkajs';
import type { AclRule } from './acl-plan';

/** The broker's own principal: the one super user, which applies the ACLs (infra/kafka/kafka.sh broker_principal). */
export const BROKER_PRINCIPAL = 'kafka-broker';

/** kafkajs options for a principal of the secure broker, from the secrets directory kafka.sh wrote (ca.pem, <principal>.password). */
export function secureClientConfig(brokers: string[], secretsDir: string, principal: string): { brokers: string[]; ssl: { ca: string[] }; sasl: Extract<KafkaConfig['sasl'], { mechanism: 'scram-sha-512' }> } {
  return {
    brokers,
    ssl: { ca: [readFileSync(join(secretsDir, 'ca.pem'), 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: principal, password: readFileSync(join(secretsDir, `${principal}.password`), 'utf8').trim() },
  };
}

const OPERATIONS = { READ: AclOperationTypes.READ, WRITE: AclOperationTypes.WRITE, CREATE: AclOperationTypes.CREATE, DESCRIBE: AclOperationTypes.DESCRIBE, DELETE: AclOperationTypes.DELETE } as const;

/** Creates every rule (ALLOW, from any host) with an admin client of a super user. Idempotent: an ACL the broker has already is no change. */
export async function applyAcls(admin: Admin, rules: readonly AclRule[]): Promise<void> {
  await admin.createAcls({
    acl: rules.map((r) => ({
      principal: r.principal,
      host: '*',
      resourceType: r.resourceType === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
      resourceName: r.name,
      resourcePatternType: r.pattern === 'LITERAL' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
      operation: OPERATIONS[r.operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  });
}

/** Deletes every ACL (any principal, operation and permission) on the resources the rules name, each by its exact name and pattern. */
export async function deleteAclsOn(admin: Admin, rules: readonly AclRule[]): Promise<void> {
  const resources = new Map<string, AclRule>();
  for (const r of rules) resources.set(`${r.resourceType}|${r.pattern}|${r.name}`, r);
  if (resources.size === 0) return;
  await admin.deleteAcls({
    filters: [...resources.values()].map((r) => ({
      resourceType: r.resourceType === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
      resourceName: r.name,
      resourcePatternType: r.pattern === 'LITERAL' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    })),
  });
}
