import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_CONSUMERS, topicsConsumedBy, type ConsumingService } from './topic-consumers';
import { ALL_TOPICS, TOPICS, type TopicName } from './topics';

const repoRoot = join(__dirname, '..', '..', '..');
const SERVICES: ConsumingService[] = ['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant', 'ops'];

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !/spec\.ts$/.test(e.name) ? [path] : [];
  });
}

const topicOfKey = (key: string): TopicName => {
  const topic = (TOPICS as Record<string, TopicName>)[key];
  if (topic === undefined) throw new Error(`TOPICS.${key} is not a topic`);
  return topic;
};

/** The topics a service's code registers with platform.consume: directly, or in a `for (const t of [TOPICS.a, ...])` loop around it. */
function consumedInCode(service: ConsumingService): Set<TopicName> {
  const found = new Set<TopicName>();
  const files = [...sourceFiles(join(repoRoot, 'libs', service)), ...sourceFiles(join(repoRoot, 'apps', service, 'src'))];
  let opensPlatform = false;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (/PlatformModule\.forRoot|Platform\.open\(/.test(text)) opensPlatform = true;
    for (const m of text.matchAll(/platform\.consume(?:<[^(]*>)?\(\s*TOPICS\.(\w+)/g)) found.add(topicOfKey(m[1] ?? ''));
    for (const m of text.matchAll(/for \(const (\w+) of \[([^\]]*)\][^{]*\{\s*this\.platform\.consume(?:<[^(]*>)?\(\s*(\w+)/g)) {
      if (m[1] !== m[3]) continue;
      for (const k of (m[2] ?? '').matchAll(/TOPICS\.(\w+)/g)) found.add(topicOfKey(k[1] ?? ''));
    }
  }
  // the Platform itself consumes the credential topics for every service that opens one
  const platform = readFileSync(join(repoRoot, 'libs/shared/platform/src/platform.ts'), 'utf8');
  if (opensPlatform) for (const m of platform.matchAll(/this\.consume\(\s*TOPICS\.(\w+)/g)) found.add(topicOfKey(m[1] ?? ''));
  return found;
}

describe('who consumes each topic', () => {
  it('names the consumers of every topic', () => {
    expect(Object.keys(TOPIC_CONSUMERS).sort()).toEqual([...ALL_TOPICS].sort());
  });

  it.each(SERVICES)('lists exactly the topics %s consumes in its code', (service) => {
    const inCode = consumedInCode(service);
    expect(inCode.size).toBeGreaterThan(0);
    expect(topicsConsumedBy(service).sort()).toEqual([...inCode].sort());
  });

  it('has the upstream read the outcomes and settlements only', () => {
    expect(topicsConsumedBy('upstream').sort()).toEqual(
      [TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.paymentRefunded, TOPICS.settlementDue, TOPICS.settlementCompleted, TOPICS.settlementFailed].sort(),
    );
  });
});
