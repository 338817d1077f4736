import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '@paystream/contracts';

/** The databases the auditor reads, one per service that owns money or messages. */
export const AUDITED_DATABASES = ['order-payment', 'channel-gateway', 'risk', 'settlement'] as const;
export type AuditedDatabase = (typeof AUDITED_DATABASES)[number];

const targetSchema = z.object({
  databases: z.object(Object.fromEntries(AUDITED_DATABASES.map((d) => [d, z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')])) as Record<AuditedDatabase, z.ZodString>),
  /** The schema every service's tables live in ('' or absent: the database's default search path). */
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  /**
   * The broker, and on a secure one how to log in: the CA's PEM file and the auditor principal's SCRAM
   * password file (the target names files, never holds a secret).
   */
  kafka: z
    .object({
      brokers: z.array(z.string().min(1)).min(1),
      topicPrefix: z.string().default(''),
      caFile: z.string().min(1).optional(),
      sasl: z.object({ username: z.string().min(1), passwordFile: z.string().min(1) }).optional(),
    })
    .refine((k) => !k.sasl || k.caFile, { message: 'kafka.sasl needs kafka.caFile: a SCRAM password is sent over TLS only', path: ['caFile'] }),
  emulatorUrl: z.string().url(),
  deliberateDeadLetterIds: z.array(z.string()).default([]),
});

/** Where the stack under audit keeps its state (the chaos runner writes this file). */
export type AuditTarget = z.infer<typeof targetSchema>;

/** Reads and validates a target; throws with every problem named. */
export function parseAuditTarget(json: unknown): AuditTarget {
  const parsed = targetSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid audit target: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export function readAuditTarget(file: string): AuditTarget {
  return parseAuditTarget(JSON.parse(readFileSync(file, 'utf8')));
}
