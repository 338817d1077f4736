import { testKafkaEnv } from './test-kafka';

describe('testKafkaEnv: the one builder of a Kafka client login as platform environment (KAFKA_*)', () => {
  it("logs a principal in to a broker of the caller's own from that broker's secrets directory", () => {
    expect(testKafkaEnv('risk', { brokers: ['127.0.0.1:21001', '127.0.0.1:21002'], secretsDir: '/run/chaos/7/kafka-secrets' })).toEqual({
      KAFKA_BROKERS: '127.0.0.1:21001,127.0.0.1:21002',
      KAFKA_SSL_CA_FILE: '/run/chaos/7/kafka-secrets/ca.pem',
      KAFKA_SASL_USERNAME: 'risk',
      KAFKA_SASL_PASSWORD_FILE: '/run/chaos/7/kafka-secrets/risk.password',
    });
  });

  it('names only the brokers of one without a secrets directory (anonymous plaintext)', () => {
    expect(testKafkaEnv('upstream', { brokers: ['127.0.0.1:21001'] })).toEqual({ KAFKA_BROKERS: '127.0.0.1:21001' });
  });
});
