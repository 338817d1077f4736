/** What the chaos run waits for before it audits: the services' consumer groups caught up, their outboxes published. */
import type { Kafka } from 'kafkajs';
import { lagOf } from '@paystream/shared/kafka';
import { SERVICES } from '@paystream/shared/platform';
import { isHealthOf } from '../e2e/replica-port';
import type { ServiceStack } from '../e2e/service-stack';
import { REPLICATED_SERVICES } from './fault-schedule';

/** Total lag of the services' consumer groups (those under the run's topic prefix); undefined when the cluster does not answer or shows none. */
export async function servicesLag(kafka: Kafka, topicPrefix: string): Promise<Record<string, number> | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${topicPrefix}paystream.`));
    // the stack always has consumer groups: none listed is a login that may not describe them, not a lag of zero
    if (groups.length === 0) return undefined;
    const out: Record<string, number> = {};
    const highs = new Map<string, Map<number, { low: number; high: number }>>();
    for (const groupId of groups) {
      let lag = 0;
      for (const t of await admin.fetchOffsets({ groupId })) {
        if (!highs.has(t.topic)) {
          const offsets = await admin.fetchTopicOffsets(t.topic);
          highs.set(t.topic, new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }])));
        }
        for (const p of t.partitions) {
          const h = highs.get(t.topic)!.get(p.partition);
          if (h) lag += lagOf({ committed: Number(p.offset), ...h });
        }
      }
      out[groupId.slice(topicPrefix.length)] = lag;
    }
    return out;
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Outbox rows not yet published, per service database (undefined for a database that does not answer). */
export async function outboxBacklog(stack: ServiceStack): Promise<Record<string, number | undefined>> {
  const out: Record<string, number | undefined> = {};
  for (const s of REPLICATED_SERVICES) {
    if (!SERVICES[s].database) continue;
    out[s] = await stack
      .query<{ n: number }>(s, `SELECT count(*)::int AS n FROM outbox_event WHERE published_at IS NULL`)
      .then((r) => r[0]!.n)
      .catch(() => undefined);
  }
  return out;
}

/** Whether every replica of every service answers /health with 2xx. */
export async function allHealthy(stack: ServiceStack): Promise<boolean> {
  for (const s of REPLICATED_SERVICES) {
    for (let r = 0; r < stack.replicaCount(s); r++) {
      const res = await fetch(`${stack.url(s, r)}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      if (!res || !isHealthOf(s, res.status, await res.json().catch(() => undefined))) return false;
    }
  }
  return true;
}
