import { DLQ_HEADERS } from '@paystream/contracts';
import { readDeadLetter, type DeadLetter, type DeadLetterRef } from '@paystream/ops/domain';
import type { Message } from 'kafkajs';
import { Actors } from '@paystream/shared/audit-log';
import { AuthRefusal, type OperatorPrincipal } from '@paystream/shared/auth';
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

/** The tokens the fake registry knows: sam is an sre operator, fin a finance one; anything else is unknown. */
const TOKENS: Record<string, OperatorPrincipal> = {
  'sam-token': { kind: 'operator', operatorId: 'sam', roles: ['sre'], credentialId: 'op_sam' },
  'fin-token': { kind: 'operator', operatorId: 'fin', roles: ['finance'], credentialId: 'op_fin' },
};

/** In-memory stand-ins: what was published and recorded is what the assertions read. */
function fakes(letters: StoredDeadLetter[], source: { files?: Record<string, string>; env?: string } = {}) {
  const published: { topic: string; message: Message }[] = [];
  const recorded: { dl: DeadLetter; by: string; credentialId: string }[] = [];
  const asked: string[] = [];
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
      record: async (dl, by, credentialId) => {
        recorded.push({ dl, by: Actors.format(by), credentialId });
        return { id: String(recorded.length), dlqRef: '', originalTopic: dl.originalTopic, eventId: dl.eventId ?? null, reason: dl.reason, replayedBy: by.id, replayedAt: '' } satisfies ReplayRecord;
      },
      list: async () => [],
    },
    operatorToken: (file) => {
      if (file === undefined) return source.env;
      const text = source.files?.[file];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return text.trim();
    },
    authenticate: async (token, role) => {
      asked.push(token);
      const operator = TOKENS[token];
      if (!operator) throw new AuthRefusal('key_unknown');
      if (!operator.roles.includes(role)) throw new AuthRefusal('forbidden', `no ${role} role`);
      return operator;
    },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  return { deps, published, recorded, asked, out, err };
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

  it('replays as the sre operator the token file or PAYSTREAM_OPERATOR_TOKEN authenticates, to the original topic without DLQ headers', async () => {
    const f = fakes([stored(0, '3', dlqHeaders('2026-12-04T10:00:00.000Z'))], { files: { '/run/sam': 'sam-token\n' }, env: 'sam-token' });
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:0:3', '--token-file', '/run/sam'], f.deps)).toBe(0);
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:0:3'], f.deps)).toBe(0);
    expect(f.recorded.map((r) => [r.by, r.credentialId])).toEqual([
      ['operator:sam', 'op_sam'],
      ['operator:sam', 'op_sam'],
    ]);
    expect(f.out[0]).toMatch(/ as replay #1 by operator:sam$/);
    expect(f.published.map((p) => p.topic)).toEqual(['payment.requested.v1', 'payment.requested.v1']);
    expect(Object.keys(f.published[0]!.message.headers!)).toEqual(['ce_id']);
  });

  it.each<[string, string[], { files?: Record<string, string>; env?: string }, number, RegExp]>([
    ['no token at all', [], {}, 2, /needs the token of an operator with the sre role: --token-file FILE or PAYSTREAM_OPERATOR_TOKEN/],
    ['a name typed with --by', ['--by', 'alice'], { env: 'sam-token' }, 2, /--by is gone/],
    ['a token file that cannot be read', ['--token-file', '/nope'], {}, 2, /--token-file \/nope: ENOENT/],
    ['--token-file without a file', ['--token-file'], {}, 2, /--token-file needs a file/],
    ['a token the registry does not know', [], { env: 'forged-token' }, 3, /^AUTH_KEY_UNKNOWN \(key_unknown\): the operator token was refused; nothing replayed$/],
    ['an operator without the sre role', ['--token-file', '/run/fin'], { files: { '/run/fin': 'fin-token' } }, 3, /^AUTH_FORBIDDEN \(forbidden\): the operator token was refused: no sre role; nothing replayed$/],
  ])('replays nothing with %s (exit %#)', async (_what, flags, source, code, message) => {
    const f = fakes([stored(0, '3', dlqHeaders('2026-12-04T10:00:00.000Z'))], source);
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:0:3', ...flags], f.deps)).toBe(code);
    expect(f.err.join('\n')).toMatch(message);
    expect(f.published).toEqual([]);
    expect(f.recorded).toEqual([]);
  });

  it('publishes and records nothing on a dry run, and needs no token for it', async () => {
    const f = fakes([stored(0, '3', dlqHeaders('2026-12-04T10:00:00.000Z'))]);
    expect(await runDlqCommand(['replay', '--dry-run', 'payment.requested.v1.dlq:0:3'], f.deps)).toBe(0);
    expect(f.published).toEqual([]);
    expect(f.recorded).toEqual([]);
    expect(f.asked).toEqual([]);
    expect(f.out[0]).toMatch(/^would replay payment\.requested\.v1\.dlq:0:3 -> payment\.requested\.v1/);
  });

  it('refuses a message without DLQ headers: nothing says where it came from', async () => {
    const f = fakes([stored(1, '0', { ce_id: 'x' })], { env: 'sam-token' });
    expect(await runDlqCommand(['replay', 'payment.requested.v1.dlq:1:0'], f.deps)).toBe(1);
    expect(f.err[0]).toMatch(/^DLQ_HEADERS_MISSING payment\.requested\.v1\.dlq:1:0: no dlq_original_topic/);
    expect(f.published).toEqual([]);
  });

  it.each([[[]], [['--dry-run']]])('never publishes to a topic a forged original-topic header names (%j)', async (flags) => {
    const forged = { ...dlqHeaders('2026-12-04T10:00:00.000Z'), [DLQ_HEADERS.originalTopic]: 'settlement.payout-requested.v1' };
    const f = fakes([stored(0, '3', forged)], { env: 'sam-token' });
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
