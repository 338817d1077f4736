import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Admin, type KafkaConfig } from 'kafkajs';
import type { AclRule } from './acl-plan';

/** The broker's own principal: the one super user, which applies the ACLs (infra/kafka/kafka.sh broker_principal). */
export const BROKER_PRINCIPAL = 'kafka-broker';

/**
 * How a process logs in to the secure broker as `principal` (the platform's KAFKA_SSL_CA_FILE and KAFKA_SASL_*),
 * from the secrets directory kafka.sh wrote: its CA and that principal's password file.
 */
export function kafkaLoginEnv(secretsDir: string, principal: string): { KAFKA_SSL_CA_FILE: string; KAFKA_SASL_USERNAME: string; KAFKA_SASL_PASSWORD_FILE: string } {
  return { KAFKA_SSL_CA_FILE: join(secretsDir, 'ca.pem'), KAFKA_SASL_USERNAME: principal, KAFKA_SASL_PASSWORD_FILE: join(secretsDir, `${principal}.password`) };
}

/** kafkajs options for a principal of the secure broker, from the secrets directory kafka.sh wrote (kafkaLoginEnv's files). */
export function secureClientConfig(brokers: string[], secretsDir: string, principal: string): { brokers: string[]; ssl: { ca: string[] }; sasl: Extract<KafkaConfig['sasl'], { mechanism: 'scram-sha-512' }> } {
  const login = kafkaLoginEnv(secretsDir, principal);
  return {
    brokers,
    ssl: { ca: [readFileSync(login.KAFKA_SSL_CA_FILE, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: principal, password: readFileSync(login.KAFKA_SASL_PASSWORD_FILE, 'utf8').trim() },
  };
}

const OPERATIONS = { READ: AclOperationTypes.READ, WRITE: AclOperationTypes.WRITE, CREATE: AclOperationTypes.CREATE, DESCRIBE: AclOperationTypes.DESCRIBE, DELETE: AclOperationTypes.DELETE } as const;

/** The resource a rule names, as the Kafka protocol spells it (type, name, pattern). */
function resourceOf(r: AclRule): { resourceType: AclResourceTypes; resourceName: string; resourcePatternType: ResourcePatternTypes } {
  return {
    resourceType: r.resourceType === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: r.name,
    resourcePatternType: r.pattern === 'LITERAL' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
  };
}

/** Creates every rule (ALLOW, from any host) with an admin client of a super user. Idempotent: an ACL the broker has already is no change. */
export async function applyAcls(admin: Admin, rules: readonly AclRule[]): Promise<void> {
  await admin.createAcls({
    acl: rules.map((r) => ({
      principal: r.principal,
      host: '*',
      ...resourceOf(r),
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
      ...resourceOf(r),
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    })),
  });
}
