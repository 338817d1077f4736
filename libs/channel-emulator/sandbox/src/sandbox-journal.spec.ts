import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RefundRecord, Trade } from './channel-sandbox';
import { SANDBOX_JOURNAL_FILE, SandboxJournal, type JournalWarning } from './sandbox-journal';

describe('the sandbox journal (the books on disk)', () => {
  let dir: string;
  let warnings: JournalWarning[];
  const open = () => new SandboxJournal(dir, (w) => warnings.push(w));
  const trade = (over: Partial<Trade> = {}): Trade => ({
    channel: 'alipay',
    outTradeNo: 'T1',
    merchantId: 'm-1',
    amountMinor: 123_456_789_012_345_678_901n,
    currency: 'CNY',
    subject: 'tea',
    state: 'PROCESSING',
    channelTradeNo: '20261764000000000abcdef0123',
    scenario: 'succeed',
    notifyUrl: 'http://127.0.0.1:1/notify',
    createdAt: new Date('2026-12-04T01:02:03.456Z'),
    ...over,
  });
  const refund: RefundRecord = { status: 'SUCCESS', outRefundNo: 'R1', outTradeNo: 'T1', refundNo: 'RF1', amountMinor: '300', refundedAt: new Date('2026-12-04T02:00:00.000Z') };
  const failed: RefundRecord = { status: 'FAILED', outRefundNo: 'R2', outTradeNo: 'T9', code: 'TRADE_NOT_EXIST', message: 'no successful trade to refund', amountMinor: '5' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'paystream-journal-'));
    warnings = [];
  });

  it('reads back every kind of record as written: amounts as bigint (beyond 2^53), dates as dates, the scenario from the amount', () => {
    const j = open();
    const declined = trade({ outTradeNo: 'T51', amountMinor: 2051n, state: 'DECLINED', declineCode: 'INSUFFICIENT_FUNDS' });
    j.append({ type: 'trade', trade: trade() });
    j.append({ type: 'trade', trade: declined });
    j.append({ type: 'refund', refund });
    j.append({ type: 'refund', refund: failed });
    j.append({ type: 'refunded', outTradeNo: 'T1', refundedMinor: 300n });
    j.append({ type: 'payout', payoutId: 'S1', payout: { payoutRef: 'BANK1', amountMinor: 993n, currency: 'CNY', accountNo: '6222000000001234' } });
    j.append({ type: 'payout_refused', payoutId: 'S2', code: 'ACCOUNT_FROZEN' });
    const books = open().load();
    expect(books.trades.get('T1')).toEqual(trade());
    expect(books.trades.get('T51')).toEqual({ ...declined, scenario: 'decline-insufficient-funds' });
    expect(books.refunds.get('R1')).toEqual(refund);
    expect(books.refunds.get('R2')).toEqual(failed);
    expect(books.refundedByTrade.get('T1')).toBe(300n);
    expect(books.payouts.get('S1')).toEqual({ payoutRef: 'BANK1', amountMinor: 993n, currency: 'CNY', accountNo: '6222000000001234' });
    expect(books.payoutRefusals.get('S2')).toBe('ACCOUNT_FROZEN');
    expect(warnings).toEqual([]);
    // JSON lines, amounts as decimal strings, dates ISO
    const first = JSON.parse(readFileSync(join(dir, SANDBOX_JOURNAL_FILE), 'utf8').split('\n')[0]!);
    expect(first).toMatchObject({ type: 'trade', trade: { amountMinor: '123456789012345678901', createdAt: '2026-12-04T01:02:03.456Z' } });
  });

  it('keeps the last record per key', () => {
    const j = open();
    j.append({ type: 'trade', trade: trade() });
    j.append({ type: 'refunded', outTradeNo: 'T1', refundedMinor: 100n });
    j.append({ type: 'trade', trade: trade({ outTradeNo: 'T2' }) });
    j.append({ type: 'trade', trade: trade({ state: 'SUCCESS', paidAt: new Date('2026-12-04T01:02:04.000Z') }) });
    j.append({ type: 'refunded', outTradeNo: 'T1', refundedMinor: 250n });
    const books = open().load();
    expect([...books.trades.keys()]).toEqual(['T1', 'T2']);
    expect(books.trades.get('T1')).toMatchObject({ state: 'SUCCESS', paidAt: new Date('2026-12-04T01:02:04.000Z') });
    expect(books.trades.get('T2')?.state).toBe('PROCESSING');
    expect(books.refundedByTrade.get('T1')).toBe(250n);
  });

  it('compacts to one line per key, and the compacted file reads back the same books', () => {
    const j = open();
    j.append({ type: 'trade', trade: trade() });
    j.append({ type: 'trade', trade: trade({ state: 'SUCCESS', paidAt: new Date('2026-12-04T01:02:04.000Z') }) });
    j.append({ type: 'refund', refund });
    j.append({ type: 'refunded', outTradeNo: 'T1', refundedMinor: 100n });
    j.append({ type: 'refunded', outTradeNo: 'T1', refundedMinor: 300n });
    j.append({ type: 'payout', payoutId: 'S1', payout: { payoutRef: 'BANK1', amountMinor: 993n, currency: 'CNY', accountNo: '6222000000001234' } });
    j.append({ type: 'payout_refused', payoutId: 'S2', code: 'ACCOUNT_FROZEN' });
    const books = open().load();
    open().compact(books);
    expect(readFileSync(join(dir, SANDBOX_JOURNAL_FILE), 'utf8').trimEnd().split('\n')).toHaveLength(5);
    expect(open().load()).toEqual(books);
    expect(warnings).toEqual([]);
  });

  it('skips a truncated last line with a warning, cuts it off, and the next append reads back', () => {
    const j = open();
    j.append({ type: 'trade', trade: trade() });
    j.append({ type: 'payout', payoutId: 'S1', payout: { payoutRef: 'BANK1', amountMinor: 993n, currency: 'CNY', accountNo: undefined } });
    const file = join(dir, SANDBOX_JOURNAL_FILE);
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, whole.slice(0, whole.length - 20)); // a crash mid-write of the payout
    const books = open().load();
    expect([...books.trades.keys()]).toEqual(['T1']);
    expect(books.payouts.size).toBe(0);
    expect(warnings).toEqual([{ line: 2, reason: expect.stringMatching(/^not JSON/), truncated: true }]);
    open().append({ type: 'payout', payoutId: 'S3', payout: { payoutRef: 'BANK3', amountMinor: 1n, currency: 'CNY', accountNo: undefined } });
    warnings = [];
    expect([...open().load().payouts.keys()]).toEqual(['S3']);
    expect(warnings).toEqual([]);
  });

  it('skips a line that is JSON but no record, and a complete last line without its newline still counts', () => {
    const file = join(dir, SANDBOX_JOURNAL_FILE);
    open().append({ type: 'trade', trade: trade() });
    appendFileSync(file, '{"type":"payout","payoutId":"S1","payout":{"payoutRef":"B","amountMinor":"9.5"}}\n');
    appendFileSync(file, '{"type":"payout_refused","payoutId":"S2","code":"ACCOUNT_FROZEN"}');
    const books = open().load();
    expect(warnings).toEqual([{ line: 2, reason: expect.stringContaining('payout.amountMinor') }]);
    expect([...books.payoutRefusals.keys()]).toEqual(['S2']);
    open().append({ type: 'payout', payoutId: 'S4', payout: { payoutRef: 'BANK4', amountMinor: 4n, currency: 'CNY', accountNo: undefined } });
    expect([...open().load().payouts.keys()]).toEqual(['S4']);
  });

  it('starts empty on a new directory, and clear empties it', () => {
    const nested = join(dir, 'a', 'b');
    const j = new SandboxJournal(nested);
    expect(j.load().trades.size).toBe(0);
    j.append({ type: 'trade', trade: trade() });
    expect(new SandboxJournal(nested).load().trades.size).toBe(1);
    j.clear();
    expect(new SandboxJournal(nested).load().trades.size).toBe(0);
  });
});
