import { ConfigError, loadPlatformConfig } from './config';

// every service needs its deployment's pepper; this spec is about the Kafka settings
const PEPPER = { CREDENTIAL_PEPPER: Buffer.alloc(32, 0x5a).toString('base64') };

describe('loadPlatformConfig: KAFKA_REPLICATION_FACTOR', () => {
  it('creates topics with one replica unless told otherwise (the single-broker stack)', () => {
    expect(loadPlatformConfig('risk', PEPPER).kafka.replicationFactor).toBe(1);
  });

  it('takes the replicas a cluster of brokers asks for', () => {
    expect(loadPlatformConfig('risk', { ...PEPPER, KAFKA_REPLICATION_FACTOR: '3' }).kafka.replicationFactor).toBe(3);
  });

  it.each(['0', '-1', '2.5', 'three', '6'])('refuses to start on %s', (value) => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, KAFKA_REPLICATION_FACTOR: value })).toThrow(ConfigError);
  });
});
