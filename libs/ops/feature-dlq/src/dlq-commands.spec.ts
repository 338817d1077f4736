import { DLQ_HEADERS } from '@paystream/contracts';
import { readDeadLetter, type DeadLetter, type DeadLetterRef } from '@paystream/ops/domain';
import type { Message } from 'kafkajs';
import { Actors } from '@paystream/shared/audit-log';
import type { StoredDeadLetter } from './dead-letter-reader';
import { runDlqCommand, type DlqCommandDeps } from './dlq-commands';
import type { ReplayRecord } from './replay-log';

const stored = (partition: number, offset: string, headers: Record<string, string>): StoredDeadLetter => ({
  ref: { topic: 'payment.requested.v1.dlq', partition, offset },
  key: 'o-1',
  value: Buffer.from('{"orderId":"o-1"}'),
  headers,
});
const dlqHeaders = (at: string) => ({
  ce_id: `e-${at}`,
  [DLQ_HEADERS.reason]: 'handler failed 5 times:\n  boom',
  [DLQ_HEADERS.consumer]: 'paystream.order-payment',
  [DLQ_HEADERS.at]: at,
  [DLQ_HEADERS.originalTopic]: 'payment.requested.v1',
  [DLQ_HEADERS.originalPartition]: '1',
  [DLQ_HEADERS.originalOffset]: '9',
});

/** In-memory stand-ins: what was published and recorded is what the assertions read. */
function fakes(letters: StoredDeadLetter[]) {
  const published: { topic: string; message: Message }[] = [];
  const recorded: { dl: DeadLetter; by: string }[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const deps: DlqCommandDeps = {
    reader: {
      topics: async () => ['payment.requested.v1.dlq'],
      latest: async (_topics, limit) => letters.slice(0, limit),
      one: async (ref: DeadLetterRef) => {
        const m = letters.find((l) => l.ref.partition === ref.partition && l.ref.offset === ref.offset);
        if (!m) return { ok: false, error: { code: 'DLQ_MESSAGE_NOT_FOUND', ref: `${ref.topic}:${ref.partition}:${ref.offset}` } };
        return readDeadLetter(ref, m);
      },
    },
    publish: async (topic, message) => void published.push({ topic, message }),
    replays: {
      record: async (dl, by) => {
        recorded.push({ dl, by: Actors.format(by) });
        return { id: String(recorded.length), dlqRef: '', originalTopic: dl.originalTopic, eventId: dl.eventId ?? null, reason: dl.reason, replayedBy: by.id, replayedAt: '' } satisfies ReplayRecord;
      },
      list: async () => [],
    },
    defaultActor: 'os-user',
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  return { deps, published, recorded, out, err };
}

describe('runDlqCommand', () => {
  it('lists one line per dead letter with its id, time, consumer, event and reason on one line', async () => {
    const f = fakes([stored(0, '3', dlqHeaders('2026-12-04T10:00:00.000Z')), stored(1, '0', { ce_id: 'x' })]);
    expect(await runDlqCommand(['list', '--limit', '5'], f.deps)).toBe(0);
    expect(f.out).toEqual([
      'payment.requested.v1.dlq:0:3  2026-12-04T10:00:00.000Z  paystream.order-payment  event=e-2026-12-04T10:00:00.000Z  handler failed 5 times: boom',
      'payment.requested.v1.dlq:1:0  (no DLQ headers: not dead-lettered by a Paystream consumer)',
      '2 dead letter(s) in 1 topic(s)',
    ]);
  });

  it('replays with the actor given, or the OS user, and publishes to the original topic without DLQ headers', async () => {
    const f = fakes([stored(0, '3', dlqHeaders('2026-12-04T10:00:00.000Z'))]);
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:0:3'], f.deps)).toBe(0);
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:0:3', '--by=alice'], f.deps)).toBe(0);
    expect(f.recorded.map((r) => r.by)).toEqual(['operator:os-user', 'operator:alice']);
    expect(f.published.map((p) => p.topic)).toEqual(['payment.requested.v1', 'payment.requested.v1']);
    expect(Object.keys(f.published[0]!.message.headers!)).toEqual(['ce_id']);
  });

  it('publishes and records nothing on a dry run', async () => {
    const f = fakes([stored(0, '3', dlqHeaders('2026-12-04T10:00:00.000Z'))]);
    expect(await runDlqCommand(['replay', '--dry-run', 'payment.requested.v1.dlq:0:3'], f.deps)).toBe(0);
    expect(f.published).toEqual([]);
    expect(f.recorded).toEqual([]);
    expect(f.out[0]).toMatch(/^would replay payment\.requested\.v1\.dlq:0:3 -> payment\.requested\.v1/);
  });

  it('refuses a message without DLQ headers: nothing says where it came from', async () => {
    const f = fakes([stored(1, '0', { ce_id: 'x' })]);
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:1:0'], f.deps)).toBe(1);
    expect(f.err[0]).toMatch(/^DLQ_HEADERS_MISSING payment\.requested\.v1\.dlq:1:0: no dlq_original_topic/);
    expect(f.published).toEqual([]);
  });

  it.each([[[]], [['--dry-run']]])('never publishes to a topic a forged original-topic header names (%j)', async (flags) => {
    const forged = { ...dlqHeaders('2026-12-04T10:00:00.000Z'), [DLQ_HEADERS.originalTopic]: 'settlement.payout-requested.v1' };
    const f = fakes([stored(0, '3', forged)]);
    expect(await runDlqCommand(['replay', ...flags, 'payment.requested.v1.dlq:0:3'], f.deps)).toBe(1);
    expect(f.err[0]).toMatch(/^DLQ_ORIGIN_INVALID payment\.requested\.v1\.dlq:0:3: original topic "settlement\.payout-requested\.v1"/);
    expect(f.published).toEqual([]);
    expect(f.recorded).toEqual([]);
    expect(f.out).toEqual([]);
  });

  it.each([
    [[], 2],
    [['unknown'], 2],
    [['replay'], 2],
    [['show', 'payment.requested.v1.dlq', 'x', '1'], 2],
    [['list', '--limit', 'ten'], 2],
    [['replays', '--limit', '-1'], 2],
  ])('answers %j with exit code %i and a message', async (argv, code) => {
    const f = fakes([]);
    expect(await runDlqCommand(argv, f.deps)).toBe(code);
    expect(f.err.join('\n')).not.toBe('');
  });
});
