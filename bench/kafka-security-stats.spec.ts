import {
  cpuMs,
  kafkaClientProperties,
  median,
  machineBusyTicks,
  padJsonTo,
  parseBashTimes,
  parseConsumerPerformance,
  parseProcStat,
  parseProducerPerformance,
  percentile,
  ratio,
  recordBytes,
  steadyRate,
} from './kafka-security-stats';

describe('percentile (nearest rank)', () => {
  it('takes the value at the nearest rank, whatever the input order', () => {
    const values = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile(values, 1)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
  });

  it('does not reorder the caller’s values', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values and a percentile outside (0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(/no values/);
    expect(() => percentile([1], 0)).toThrow(/percentile/);
    expect(() => percentile([1], 101)).toThrow(/percentile/);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle values of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('parseProcStat', () => {
  it('reads utime and stime (fields 14 and 15) after a command name holding spaces and parentheses', () => {
    const line = '4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 8 9 20 0 40 0 1000 3000000 80000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ utimeTicks: 1234, stimeTicks: 567 });
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseProcStat('no such process')).toThrow(/stat/);
  });
});

describe('cpuMs', () => {
  it('is the utime+stime ticks spent between two readings, in ms at the clock tick rate', () => {
    expect(cpuMs({ utimeTicks: 100, stimeTicks: 50 }, { utimeTicks: 130, stimeTicks: 55 }, 100)).toBe(350);
    expect(cpuMs({ utimeTicks: 0, stimeTicks: 0 }, { utimeTicks: 1, stimeTicks: 0 }, 250)).toBe(4);
  });

  it('refuses a later reading that went backwards (another process behind the pid)', () => {
    expect(() => cpuMs({ utimeTicks: 10, stimeTicks: 10 }, { utimeTicks: 9, stimeTicks: 10 }, 100)).toThrow(/backwards/);
  });
});

describe('machineBusyTicks', () => {
  it('counts every cpu tick but idle and iowait, from the first line of /proc/stat', () => {
    const stat = 'cpu  100 5 50 1000 20 3 7 2 0 0\ncpu0 50 2 25 500 10 1 3 1 0 0\nintr 1 2 3\n';
    // user nice system idle iowait irq softirq steal guest guest_nice: guest time is inside user already
    expect(machineBusyTicks(stat)).toEqual({ busy: 100 + 5 + 50 + 3 + 7 + 2, total: 100 + 5 + 50 + 1000 + 20 + 3 + 7 + 2 });
  });
});

describe('parseBashTimes', () => {
  it('sums the children’s user and system time (the second line of bash `times`)', () => {
    expect(parseBashTimes('0m0.004s 0m0.001s\n0m2.750s 0m0.250s\n')).toBeCloseTo(3000, 6);
    expect(parseBashTimes('0m0.004s 0m0.001s\n1m1.500s 0m0.500s\n')).toBeCloseTo(62_000, 6);
  });

  it('refuses output without the children line', () => {
    expect(() => parseBashTimes('0m0.004s 0m0.001s\n')).toThrow(/times/);
  });
});

describe('parseProducerPerformance', () => {
  const output = [
    'Reading payloads from: /tmp/x/payload.txt',
    'Number of messages read: 200',
    '250123 records sent, 50024.6 records/sec (28.95 MB/sec), 410.2 ms avg latency, 1200.0 ms max latency.',
    '200000 records sent, 40000.000000 records/sec (23.15 MB/sec), 792.13 ms avg latency, 1364.00 ms max latency, 723 ms 50th, 1299 ms 95th, 1347 ms 99th, 1359 ms 99.9th.',
  ].join('\n');

  it('reads the summary line and the windows before it', () => {
    expect(parseProducerPerformance(output)).toEqual({
      records: 200000,
      recordsPerSec: 40000,
      mbPerSec: 23.15,
      avgLatencyMs: 792.13,
      maxLatencyMs: 1364,
      p50Ms: 723,
      p95Ms: 1299,
      p99Ms: 1347,
      p999Ms: 1359,
      windows: [{ records: 250123, recordsPerSec: 50024.6 }],
    });
  });

  it('refuses output without a summary (the tool failed)', () => {
    expect(() => parseProducerPerformance('org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized')).toThrow(/summary/);
  });
});

describe('parseConsumerPerformance', () => {
  it('reads the summary by its header names', () => {
    const output = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-12-07 22:04:28:259, 2026-12-07 22:04:28:969, 86.8320, 122.2987, 150000, 211267.6056, 259, 451, 192.5323, 332594.2350',
    ].join('\n');
    expect(parseConsumerPerformance(output)).toEqual({ messages: 150000, msgPerSec: 211267.6056, rebalanceMs: 259, fetchMs: 451, fetchMBPerSec: 192.5323, fetchMsgPerSec: 332594.235 });
  });

  it('refuses output without the summary line', () => {
    expect(() => parseConsumerPerformance('WARN: consumer timed out\n')).toThrow(/summary/);
  });
});

describe('ratio', () => {
  it('is secure / plaintext, and null when either is missing or the plaintext figure is 0', () => {
    expect(ratio(30, 60)).toBe(0.5);
    expect(ratio(30, 0)).toBeNull();
    expect(ratio(undefined, 60)).toBeNull();
    expect(ratio(30, null)).toBeNull();
  });
});

describe('recordBytes and padJsonTo', () => {
  it('counts key, value and header names and values in UTF-8 bytes', () => {
    expect(recordBytes({ key: 'k1', value: '{"a":"é"}', headers: { ce_id: 'abc', x: 'yz' } })).toBe(2 + 10 + 5 + 3 + 1 + 2);
  });

  it('pads a JSON object to exactly the asked bytes with a filler field, still the same object plus the filler', () => {
    const json = padJsonTo({ orderId: 'ord-1', amountMinor: '12800' }, 120);
    expect(Buffer.byteLength(json)).toBe(120);
    expect(JSON.parse(json)).toMatchObject({ orderId: 'ord-1', amountMinor: '12800' });
  });

  it('leaves an object already as long as asked or longer as it is', () => {
    const plain = JSON.stringify({ orderId: 'ord-1' });
    expect(padJsonTo({ orderId: 'ord-1' }, 5)).toBe(plain);
  });
});

describe('steadyRate', () => {
  // a slow start (a JVM warming up), then 10 records per ms, then a tail
  const samples = [
    { atMs: 0, count: 0 },
    { atMs: 1000, count: 500 },
    { atMs: 1250, count: 2_500 },
    { atMs: 1500, count: 5_000 },
    { atMs: 1750, count: 7_500 },
    { atMs: 2000, count: 9_000 },
    { atMs: 2250, count: 10_000 },
  ];

  it('is the rate between the first sample past `from` and the last one up to `to` (records per second)', () => {
    expect(steadyRate(samples, 2_000, 9_000)).toBeCloseTo(((9_000 - 2_500) * 1000) / (2000 - 1250), 6);
    expect(steadyRate(samples, 2_500, 7_500)).toBe(10_000);
  });

  it('is null without two samples inside the range (a run too short for the sampling)', () => {
    expect(steadyRate(samples, 2_600, 7_000)).toBeNull();
    expect(steadyRate([], 0, 10)).toBeNull();
  });
});

describe('kafkaClientProperties (the perf tools\' client file)', () => {
  it('logs in to a secure broker over SASL_SSL with the PEM CA and SCRAM-SHA-512 as the principal', () => {
    const text = kafkaClientProperties(['127.0.0.1:9092'], { caFile: '/s/ca.pem', principal: 'upstream', password: 'pw' }, { acks: 'all' });
    expect(text.split('\n')).toEqual([
      'bootstrap.servers=127.0.0.1:9092',
      'security.protocol=SASL_SSL',
      'ssl.truststore.type=PEM',
      'ssl.truststore.location=/s/ca.pem',
      'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="upstream" password="pw";',
      'acks=all',
      '',
    ]);
  });

  it('names only the brokers and the extras for a plaintext broker', () => {
    expect(kafkaClientProperties(['a:1', 'b:2'], undefined, { 'client.id': 'x' })).toBe('bootstrap.servers=a:1,b:2\nclient.id=x\n');
  });
});
