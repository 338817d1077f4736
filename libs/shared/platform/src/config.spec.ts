import { ConfigError, loadPlatformConfig } from './config';

describe('loadPlatformConfig: KAFKA_REPLICATION_FACTOR', () => {
  it('creates topics with one replica unless told otherwise (the single-broker stack)', () => {
    expect(loadPlatformConfig('risk', {}).kafka.replicationFactor).toBe(1);
  });

  it('takes the replicas a cluster of brokers asks for', () => {
    expect(loadPlatformConfig('risk', { KAFKA_REPLICATION_FACTOR: '3' }).kafka.replicationFactor).toBe(3);
  });

  it.each(['0', '-1', '2.5', 'three', '6'])('refuses to start on %s', (value) => {
    expect(() => loadPlatformConfig('risk', { KAFKA_REPLICATION_FACTOR: value })).toThrow(ConfigError);
  });
});
