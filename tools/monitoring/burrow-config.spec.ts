import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { burrowConfigValue, overrideBurrowConfig } from './burrow-config';
import { ROOT } from './monitoring-tools';

const template = ['[general]', 'pidfile="/run/burrow/burrow.pid"', '', '[storage.default]', 'class-name="inmemory"', 'intervals=10', 'min-distance=6', ''].join('\n');

describe('overrideBurrowConfig', () => {
  it('replaces keys in their own section and adds missing ones there, leaving the rest alone', () => {
    const out = overrideBurrowConfig(template, { 'storage.default': { intervals: 3, 'expire-group': 60 }, general: { pidfile: '/tmp/b.pid' } });
    expect(out.split('\n')).toEqual(['[general]', 'pidfile="/tmp/b.pid"', '', '[storage.default]', 'expire-group=60', 'class-name="inmemory"', 'intervals=3', 'min-distance=6', '']);
  });

  it('writes string lists and refuses a section the template does not have', () => {
    expect(overrideBurrowConfig('[zookeeper]\nservers=["a:1"]', { zookeeper: { servers: ['127.0.0.1:2181', 'b:2'] } })).toBe('[zookeeper]\nservers=["127.0.0.1:2181", "b:2"]');
    expect(() => overrideBurrowConfig(template, { 'cluster.paystream': { servers: ['x'] } })).toThrow('no [cluster.paystream] section');
  });
});

describe('infra/burrow/burrow.toml', () => {
  const config = readFileSync(join(ROOT, 'infra', 'burrow', 'burrow.toml'), 'utf8');

  it('watches exactly the four services\' consumer groups, with or without a stack\'s topic prefix', () => {
    // Go's RE2 and JavaScript agree on this pattern (anchors, a group, an alternation)
    const whitelist = new RegExp(burrowConfigValue(config, 'consumer.paystream', 'group-whitelist')!);
    for (const group of ['paystream.order-payment', 'paystream.channel-gateway', 'paystream.risk', 'paystream.settlement', 'e2emww30m92111c04.paystream.risk']) {
      expect({ group, watched: whitelist.test(group) }).toEqual({ group, watched: true });
    }
    for (const group of ['paystream.ops', 'console-consumer-1', 'paystream.settlement.dlq', 'other.paystream.riskier']) {
      expect({ group, watched: whitelist.test(group) }).toEqual({ group, watched: false });
    }
  });

  it('points the cluster and the consumer module at the same brokers and client profile', () => {
    expect(burrowConfigValue(config, 'consumer.paystream', 'servers')).toBe(burrowConfigValue(config, 'cluster.paystream', 'servers'));
    expect(burrowConfigValue(config, 'consumer.paystream', 'cluster')).toBe('paystream');
    expect(burrowConfigValue(config, 'cluster.paystream', 'client-profile')).toBe('paystream');
    expect(burrowConfigValue(config, 'consumer.paystream', 'client-profile')).toBe('paystream');
  });
});
