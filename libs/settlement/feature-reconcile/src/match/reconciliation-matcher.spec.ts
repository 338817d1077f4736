import fc from 'fast-check';
import { BREAK_KINDS, breaksByKind, reconcile, type BreakKind, type ChannelBillEntry, type LedgerBooking, type OurEntry } from './reconciliation-matcher';

const payment = (n: number, amountMinor: bigint): { bill: ChannelBillEntry; our: OurEntry; ledger: LedgerBooking } => {
  const outTradeNo = `p${n.toString().padStart(31, '0')}`;
  const id = `pay-${n}`;
  return {
    bill: { kind: 'payment', outTradeNo, channelTradeNo: `2026${n}`, amountMinor },
    our: { kind: 'payment', id, paymentId: id, outTradeNo, channelTradeNo: `2026${n}`, amountMinor, status: 'SUCCEEDED', onDay: true },
    ledger: { kind: 'payment', id, amountMinor, currency: 'CNY' },
  };
};

const refund = (n: number, amountMinor: bigint): { bill: ChannelBillEntry; our: OurEntry; ledger: LedgerBooking } => {
  const p = payment(n, amountMinor);
  const outRefundNo = `r${n.toString().padStart(31, '0')}`;
  return {
    bill: { ...p.bill, kind: 'refund', outRefundNo },
    our: { ...p.our, kind: 'refund', id: `ref-${n}`, outRefundNo },
    ledger: { kind: 'refund', id: `ref-${n}`, amountMinor, currency: 'CNY' },
  };
};

describe('reconcile (one channel, one day)', () => {
  it('matches a bill that agrees with us and the ledger: counts and amounts, no breaks', () => {
    const set = [payment(1, 100n), payment(2, 250n), refund(3, 40n)];
    const report = reconcile(set.map((s) => s.bill), set.map((s) => s.our), set.map((s) => s.ledger));
    expect(report).toEqual({ channelCount: 3, channelAmountMinor: 390n, matchedCount: 3, matchedAmountMinor: 390n, breaks: [], refundsToClear: [{ refundId: 'ref-3', amountMinor: 40n, currency: 'CNY' }] });
  });

  it('clears a refund only when the bill, our record and the ledger agree on it', () => {
    const r = refund(5, 70n);
    const toClear = (...args: Parameters<typeof reconcile>) => reconcile(...args).refundsToClear.map((c) => `${c.refundId}:${c.amountMinor}`);
    expect(toClear([r.bill], [r.our], [r.ledger])).toEqual(['ref-5:70']);
    expect(toClear([{ ...r.bill, amountMinor: 71n }], [r.our], [r.ledger])).toEqual([]); // amount_mismatch (gateway)
    expect(toClear([r.bill], [r.our], [{ ...r.ledger, amountMinor: 69n }])).toEqual([]); // amount_mismatch (ledger)
    expect(toClear([r.bill], [r.our], [])).toEqual([]); // not booked: nothing in flight to clear
    expect(toClear([r.bill], [{ ...r.our, status: 'UNKNOWN' }], [r.ledger])).toEqual([]); // status_mismatch
    expect(toClear([], [r.our], [r.ledger])).toEqual([]); // missing_channel: the channel has not netted it
    expect(toClear([r.bill, r.bill], [r.our], [r.ledger])).toEqual(['ref-5:70']); // billed twice: cleared once
    // a matched payment is not a refund to clear; the refunds of a bill are cleared each once
    const p = payment(6, 100n);
    const r2 = refund(7, 30n);
    expect(toClear([p.bill, r.bill, r2.bill], [p.our, r.our, r2.our], [p.ledger, r.ledger, r2.ledger])).toEqual(['ref-5:70', 'ref-7:30']);
  });

  it('matches a UnionPay refund row, which names the refunded payment only by its queryId, by our refund number', () => {
    const r = refund(4, 70n);
    const unionpayRow: ChannelBillEntry = { ...r.bill, outTradeNo: '' };
    expect(reconcile([unionpayRow], [r.our], [r.ledger])).toMatchObject({ matchedCount: 1, matchedAmountMinor: 70n, breaks: [] });
    expect(reconcile([{ ...unionpayRow, outRefundNo: 'r-unknown' }], [r.our], [r.ledger]).breaks.map((b) => [b.kind, b.reference])).toEqual([
      ['missing_ours', 'r-unknown'],
      ['missing_channel', r.our.outRefundNo],
    ]);
  });

  it.each<[string, BreakKind, 'gateway' | 'ledger', (s: ReturnType<typeof payment>) => Parameters<typeof reconcile>]>([
    ['a bill row we have no record of', 'missing_ours', 'gateway', (s) => [[s.bill], [], []]],
    ['our success the bill does not list', 'missing_channel', 'gateway', (s) => [[], [s.our], [s.ledger]]],
    ['a different amount on the bill', 'amount_mismatch', 'gateway', (s) => [[{ ...s.bill, amountMinor: 101n }], [s.our], [s.ledger]]],
    ['a billed payment we recorded FAILED', 'status_mismatch', 'gateway', (s) => [[s.bill], [{ ...s.our, status: 'FAILED' }], [s.ledger]]],
    ['a billed payment still UNKNOWN with us', 'status_mismatch', 'gateway', (s) => [[s.bill], [{ ...s.our, status: 'UNKNOWN' }], []]],
    ['a success not booked in the ledger', 'missing_ours', 'ledger', (s) => [[s.bill], [s.our], []]],
    ['a ledger booking of another amount', 'amount_mismatch', 'ledger', (s) => [[s.bill], [s.our], [{ ...s.ledger, amountMinor: 99n }]]],
    ['a row billed twice', 'missing_ours', 'gateway', (s) => [[s.bill, s.bill], [s.our], [s.ledger]]],
  ])('%s is %s (%s)', (_what, kind, side, build) => {
    const s = payment(7, 100n);
    const report = reconcile(...build(s));
    expect(report.breaks).toEqual([expect.objectContaining({ kind, side, entryKind: 'payment', reference: s.bill.outTradeNo })]);
  });

  it('a billed refund whose outcome the gateway does not know yet (UNKNOWN, or still being sent: told as UNKNOWN) and so is not booked is one status_mismatch, not a missing ledger booking, and is not cleared; once settled and booked a re-run matches it and clears it', () => {
    const r = refund(8, 70n);
    const unknown = reconcile([r.bill], [{ ...r.our, status: 'UNKNOWN' }], []);
    expect(unknown.breaks).toEqual([expect.objectContaining({ kind: 'status_mismatch', side: 'gateway', entryKind: 'refund', reference: r.bill.outRefundNo, ourStatus: 'UNKNOWN' })]);
    expect(unknown.refundsToClear).toEqual([]);
    const settled = reconcile([r.bill], [r.our], [r.ledger]);
    expect(settled).toMatchObject({ breaks: [], refundsToClear: [{ refundId: r.our.id, amountMinor: 70n }] });
  });

  it('matches a payment by the channel trade number when the bill prints another order number', () => {
    const s = payment(1, 100n);
    expect(reconcile([{ ...s.bill, outTradeNo: 'printed-differently' }], [s.our], [s.ledger]).matchedCount).toBe(1);
  });

  it('leaves alone what is not a break: failures missing from the bill, and successes of another day', () => {
    const s = payment(1, 100n);
    const otherDay = payment(2, 300n);
    const report = reconcile([], [{ ...s.our, status: 'FAILED' }, { ...otherDay.our, onDay: false }], []);
    expect(report.breaks).toEqual([]);
  });

  it('a success we learned of just after midnight that the channel billed the day before is no break', () => {
    const s = payment(1, 100n);
    expect(reconcile([], [s.our], [s.ledger], [s.bill]).breaks).toEqual([]);
    expect(reconcile([], [s.our], [s.ledger], [payment(2, 100n).bill]).breaks).toEqual([expect.objectContaining({ kind: 'missing_channel' })]);
  });

    it('counts breaks by kind with every kind present', () => {
    expect(breaksByKind([{ kind: 'amount_mismatch' }, { kind: 'amount_mismatch' }])).toEqual({ missing_ours: 0, missing_channel: 0, amount_mismatch: 2, status_mismatch: 0 });
  });
});

describe('reconcile finds exactly the planted breaks (property)', () => {
  const entry = fc.record({ refund: fc.boolean(), amountMinor: fc.bigInt({ min: 1n, max: 10_000_000n }) });
  const plan = fc
    .array(entry, { minLength: 1, maxLength: 40 })
    .chain((entries) =>
      fc.record({
        entries: fc.constant(entries),
        // a break for some of the entries (at most one each), plus fake rows the channel adds
        planted: fc.array(fc.option(fc.constantFrom<Exclude<BreakKind, 'missing_ours'>>('missing_channel', 'amount_mismatch', 'status_mismatch'), { nil: undefined }), {
          minLength: entries.length,
          maxLength: entries.length,
        }),
        fakes: fc.array(fc.bigInt({ min: 1n, max: 10_000_000n }), { maxLength: 5 }),
        amountDelta: fc.bigInt({ min: 1n, max: 1_000n }),
        failedStatus: fc.constantFrom<'FAILED' | 'UNKNOWN'>('FAILED', 'UNKNOWN'),
        noise: fc.array(fc.record({ failed: fc.boolean(), amountMinor: fc.bigInt({ min: 1n, max: 1_000n }) }), { maxLength: 5 }),
      }),
    );

  it('whatever is planted into a matched set, and whatever noise of other days or failures is around it', () => {
    fc.assert(
      fc.property(plan, ({ entries, planted, fakes, amountDelta, failedStatus, noise }) => {
        const bill: ChannelBillEntry[] = [];
        const ours: OurEntry[] = [];
        const ledger: LedgerBooking[] = [];
        const expected: string[] = [];
        entries.forEach((e, i) => {
          const s = e.refund ? refund(i, e.amountMinor) : payment(i, e.amountMinor);
          const kind = planted[i];
          const reference = e.refund ? s.bill.outRefundNo! : s.bill.outTradeNo;
          if (kind) expected.push(`${kind}:${reference}`);
          ledger.push(s.ledger);
          ours.push(kind === 'status_mismatch' ? { ...s.our, status: failedStatus } : s.our);
          if (kind === 'missing_channel') return;
          bill.push(kind === 'amount_mismatch' ? { ...s.bill, amountMinor: s.bill.amountMinor + amountDelta } : s.bill);
        });
        fakes.forEach((amountMinor, i) => {
          const fake = payment(100_000 + i, amountMinor).bill;
          bill.push(fake);
          expected.push(`missing_ours:${fake.outTradeNo}`);
        });
        noise.forEach((n, i) => {
          const s = payment(200_000 + i, n.amountMinor);
          ours.push(n.failed ? { ...s.our, status: 'FAILED' } : { ...s.our, onDay: false });
        });
        const report = reconcile(bill, ours, ledger);
        const unbroken = entries.flatMap((e, i) => (e.refund && !planted[i] ? [`ref-${i}:${e.amountMinor}`] : []));
        expect(report.refundsToClear.map((c) => `${c.refundId}:${c.amountMinor}`).sort()).toEqual(unbroken.sort());
        expect(report.breaks.map((b) => `${b.kind}:${b.reference}`).sort()).toEqual(expected.sort());
        expect(report.matchedCount).toBe(entries.length - planted.filter(Boolean).length);
        expect(report.channelCount).toBe(bill.length);
        expect(Object.values(breaksByKind(report.breaks)).reduce((a, b) => a + b, 0)).toBe(expected.length);
      }),
      { numRuns: 300 },
    );
  });

  it('knows the four kinds', () => {
    expect([...BREAK_KINDS]).toEqual(['missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch']);
  });
});
