import fc from 'fast-check';
import {
  CHANNEL_TRANSACTION_STATUSES,
  canTransitionChannelTransaction,
  raceVerdict,
  REPORT_SOURCES,
  type ChannelTransactionStatus,
  type ReportedOutcome,
  type ReportSource,
} from './channel-transaction-status';

describe('channel transaction states', () => {
  const allowed: ReadonlyArray<[ChannelTransactionStatus, ChannelTransactionStatus]> = [
    ['UNKNOWN', 'SUCCEEDED'],
    ['UNKNOWN', 'FAILED'],
  ];
  const pairs = CHANNEL_TRANSACTION_STATUSES.flatMap((from) => CHANNEL_TRANSACTION_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canTransitionChannelTransaction(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });
});

describe('the race rule: response vs notification vs query', () => {
  type Report = [ReportSource, ReportedOutcome];
  /** Applies reports in arrival order as the gateway does, keeping what each verdict was. */
  const play = (reports: Report[]) => {
    let status: ChannelTransactionStatus = 'UNKNOWN';
    const verdicts = reports.map(([source, outcome]) => {
      const verdict = raceVerdict(status, outcome);
      if (verdict.kind === 'advance') status = verdict.to;
      return [source, verdict.kind] as const;
    });
    return { status, verdicts };
  };
  const orders = <T>(items: T[]): T[][] => (items.length <= 1 ? [items] : items.flatMap((x, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest])));

  it.each(orders<Report>([['response', 'succeeded'], ['notification', 'succeeded'], ['query', 'succeeded']]))(
    'all three agree, arriving %j, %j, %j: the first advances, the others are duplicates',
    (...reports) => {
      const { status, verdicts } = play(reports);
      expect(status).toBe('SUCCEEDED');
      expect(verdicts.map(([, v]) => v)).toEqual(['advance', 'duplicate', 'duplicate']);
    },
  );

  it.each(orders<Report>([['response', 'pending'], ['notification', 'succeeded'], ['query', 'pending']]))(
    'an in-process answer and a pending query never undo the notification, arriving %j, %j, %j',
    (...reports) => {
      const { status, verdicts } = play(reports);
      expect(status).toBe('SUCCEEDED');
      expect(verdicts.filter(([, v]) => v === 'advance')).toEqual([['notification', 'advance']]);
    },
  );

  it.each(orders<Report>([['response', 'failed'], ['notification', 'succeeded'], ['query', 'succeeded']]))(
    'a contradiction, arriving %j, %j, %j: the first final word stands and each contradiction is a conflict',
    (...reports) => {
      const { status, verdicts } = play(reports);
      const first = reports[0]![1] === 'failed' ? 'FAILED' : 'SUCCEEDED';
      expect(status).toBe(first);
      expect(verdicts.filter(([, v]) => v === 'conflict')).toHaveLength(first === 'FAILED' ? 2 : 1);
    },
  );

  it('a late close (the trade was closed at the channel) cannot undo a success', () => {
    expect(play([['notification', 'succeeded'], ['close', 'failed']]).verdicts[1]).toEqual(['close', 'conflict']);
    expect(raceVerdict('SUCCEEDED', 'failed')).toEqual({ kind: 'conflict', stored: 'SUCCEEDED', reported: 'FAILED' });
  });

  it('for any sequence of reports: the first final report wins, and only contradicting ones are conflicts', () => {
    const report = fc.tuple(fc.constantFrom(...REPORT_SOURCES), fc.constantFrom<ReportedOutcome>('succeeded', 'failed', 'pending'));
    fc.assert(
      fc.property(fc.array(report, { maxLength: 12 }), (reports) => {
        const { status, verdicts } = play(reports);
        const finals = reports.filter(([, o]) => o !== 'pending');
        const first = finals[0]?.[1];
        expect(status).toBe(first === undefined ? 'UNKNOWN' : first === 'succeeded' ? 'SUCCEEDED' : 'FAILED');
        expect(verdicts.filter(([, v]) => v === 'advance')).toHaveLength(first === undefined ? 0 : 1);
        expect(verdicts.filter(([, v]) => v === 'conflict')).toHaveLength(finals.filter(([, o]) => o !== first).length);
        expect(verdicts.filter(([, v]) => v === 'no-change')).toHaveLength(reports.length - finals.length);
      }),
    );
  });
});
