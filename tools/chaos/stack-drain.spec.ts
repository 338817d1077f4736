import type { Kafka } from 'kafkajs';
import { servicesLag } from './stack-drain';

/** A kafkajs client whose admin lists these groups, each with its committed offset on one partition of one topic. */
function clusterWith(groups: Record<string, { topic: string; committed: number }>, high: number): Kafka {
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listGroups: async () => ({ groups: Object.keys(groups).map((groupId) => ({ groupId, protocolType: 'consumer' })) }),
    fetchOffsets: async ({ groupId }: { groupId: string }) => [{ topic: groups[groupId]!.topic, partitions: [{ partition: 0, offset: String(groups[groupId]!.committed) }] }],
    fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: String(high), offset: String(high) }],
  };
  return { admin: () => admin } as unknown as Kafka;
}

describe('servicesLag (what the chaos run drains before the audit)', () => {
  it("sums each service group's lag under the run's prefix, other groups left out", async () => {
    const kafka = clusterWith({ 'c1.paystream.risk': { topic: 'c1.payment.requested.v1', committed: 7 }, 'c1.upstream.chaos-load.x': { topic: 'c1.payment.succeeded.v1', committed: 0 } }, 10);
    await expect(servicesLag(kafka, 'c1.')).resolves.toEqual({ 'paystream.risk': 3 });
  });

  it('answers nothing when it sees no group of the services (a login that may not describe them), never a lag of zero', async () => {
    const kafka = clusterWith({ 'c1.upstream.chaos-load.x': { topic: 'c1.payment.succeeded.v1', committed: 0 } }, 10);
    await expect(servicesLag(kafka, 'c1.')).resolves.toBeUndefined();
  });
});
