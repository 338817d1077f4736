import { join } from 'node:path';
import { ACL_PRINCIPALS, BROKER_PRINCIPAL } from '@paystream/shared/kafka';
import { brokerProperties, kafkaShPrincipals, parsePrincipals, type BrokerSecurity } from './own-kafka';

const security: BrokerSecurity = {
  secretsDir: '/run/chaos/kafka-secrets',
  brokerPrincipal: 'kafka-broker',
  brokerPassword: 'broker-pw',
  keystorePassword: 'keystore-pw',
  plainUsers: { burrow: 'burrow-pw' },
};

/** The properties of each node of a cluster of `brokers`, as a map per node. */
function cluster(brokers: 1 | 3): Map<string, string>[] {
  const nodes = Array.from({ length: brokers }, (_, i) => ({ nodeId: i + 1, port: 21000 + i, controllerPort: 22000 + i }));
  const voters = nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',');
  return nodes.map((n) => {
    const text = brokerProperties({ ...n, voters, logDir: `/tmp/logs-${n.nodeId}`, brokers, partitions: 3, security });
    return new Map(text.split('\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
  });
}

describe('brokerProperties (the chaos run cluster, secure like infra/kafka/kafka.sh)', () => {
  it.each([1, 3] as const)('gives each of %i nodes a SASL_SSL listener of its own and an authenticated controller listener', (brokers) => {
    const nodes = cluster(brokers);
    expect(nodes).toHaveLength(brokers);
    nodes.forEach((p, i) => {
      expect(p.get('node.id')).toBe(String(i + 1));
      expect(p.get('listeners')).toBe(`SASL_SSL://127.0.0.1:${21000 + i},CONTROLLER://127.0.0.1:${22000 + i}`);
      expect(p.get('advertised.listeners')).toBe(`SASL_SSL://127.0.0.1:${21000 + i}`);
      expect(p.get('listener.security.protocol.map')).toBe('SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT');
      expect(p.get('inter.broker.listener.name')).toBe('SASL_SSL');
      expect(p.get('controller.listener.names')).toBe('CONTROLLER');
      // every node lists the same voters
      expect(p.get('controller.quorum.voters')).toBe(nodes[0]!.get('controller.quorum.voters'));
      // nothing anonymous: no PLAINTEXT listener at all
      expect([...p.values()].some((v) => /PLAINTEXT:\/\/|PLAINTEXT:PLAINTEXT/.test(v))).toBe(false);
    });
  });

  it.each([1, 3] as const)('makes the broker principal log in with SCRAM between brokers and PLAIN to the controllers, on each of %i nodes', (brokers) => {
    for (const p of cluster(brokers)) {
      expect(p.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512,PLAIN');
      expect(p.get('sasl.mechanism.inter.broker.protocol')).toBe('SCRAM-SHA-512');
      expect(p.get('listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config')).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required username="kafka-broker" password="broker-pw";');
      // PLAIN on the client listener: only the PLAIN principals (Burrow), never the broker
      expect(p.get('listener.name.sasl_ssl.plain.sasl.jaas.config')).toBe('org.apache.kafka.common.security.plain.PlainLoginModule required user_burrow="burrow-pw";');
      expect(p.get('sasl.mechanism.controller.protocol')).toBe('PLAIN');
      expect(p.get('listener.name.controller.sasl.enabled.mechanisms')).toBe('PLAIN');
      expect(p.get('listener.name.controller.plain.sasl.jaas.config')).toBe('org.apache.kafka.common.security.plain.PlainLoginModule required username="kafka-broker" password="broker-pw" user_kafka-broker="broker-pw";');
    }
  });

  it.each([1, 3] as const)('serves TLS from the run secrets and denies what no ACL allows, on each of %i nodes', (brokers) => {
    for (const p of cluster(brokers)) {
      expect(p.get('ssl.keystore.type')).toBe('PKCS12');
      expect(p.get('ssl.keystore.location')).toBe('/run/chaos/kafka-secrets/broker.p12');
      expect(p.get('ssl.keystore.password')).toBe('keystore-pw');
      expect(p.get('ssl.truststore.type')).toBe('PEM');
      expect(p.get('ssl.truststore.location')).toBe('/run/chaos/kafka-secrets/ca.pem');
      expect(p.get('ssl.client.auth')).toBe('none');
      // a broker checks the certificate of the broker it replicates from (127.0.0.1 is in its SANs)
      expect(p.get('ssl.endpoint.identification.algorithm')).toBe('https');
      expect(p.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
      expect(p.get('allow.everyone.if.no.acl.found')).toBe('false');
      expect(p.get('super.users')).toBe('User:kafka-broker');
    }
  });

  it('replicates three times with two in sync on three nodes, once on one', () => {
    const replication = (p: Map<string, string>) => ['default.replication.factor', 'min.insync.replicas', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'unclean.leader.election.enable'].map((k) => p.get(k));
    for (const p of cluster(3)) expect(replication(p)).toEqual(['3', '2', '3', '3', '2', 'false']);
    expect(replication(cluster(1)[0]!)).toEqual(['1', '1', '1', '1', '1', 'false']);
  });
});

describe("the cluster's principals (infra/kafka/kafka.sh principals: the one list)", () => {
  it('parses the broker, the SCRAM and the PLAIN principals', () => {
    expect(parsePrincipals('broker kafka-broker\nscram kafka-broker risk upstream\nplain burrow\n')).toEqual({ broker: 'kafka-broker', scram: ['kafka-broker', 'risk', 'upstream'], plain: ['burrow'] });
  });

  it('refuses a list without the broker among the SCRAM principals', () => {
    expect(() => parsePrincipals('broker kafka-broker\nscram risk\nplain burrow\n')).toThrow(/kafka-broker/);
  });

  it('is, from kafka.sh, the broker principal and every principal of the ACL plan', () => {
    const listed = kafkaShPrincipals(join(__dirname, '../../infra/kafka/kafka.sh'));
    expect(listed.broker).toBe(BROKER_PRINCIPAL);
    expect([...listed.scram, ...listed.plain].filter((p) => p !== BROKER_PRINCIPAL).sort()).toEqual([...ACL_PRINCIPALS].sort());
  });
});
