import { checkNotice, reportedOutcomeOf, type ChannelNotice } from './channel-notice';

describe('notification checks before any state changes', () => {
  const notice: ChannelNotice = { channel: 'wechatpay', noticeId: 'n1', accountId: '1900000001', outTradeNo: 'abc', channelTradeNo: '4200', amountMinor: 1234n, outcome: 'succeeded' };
  const stored = { channel: 'wechatpay' as const, amountMinor: 1234n };

  it('accepts our account, our trade, the channel we used and the amount to the fen', () => {
    expect(checkNotice(notice, '1900000001', stored)).toEqual({ ok: true });
  });

  it.each([
    ['another account', { accountId: '1900000002' }, stored, 'mismatched-account'],
    ['a trade we never sent', {}, undefined, 'unknown-trade'],
    ['another channel', { channel: 'alipay' as const }, stored, 'mismatched-channel'],
    ['one fen more', { amountMinor: 1235n }, stored, 'mismatched-amount'],
  ])('refuses %s', (_label, change, record, reason) => {
    expect(checkNotice({ ...notice, ...change }, '1900000001', record)).toMatchObject({ ok: false, reason });
  });

  it('reads neutral bodies as reported outcomes', () => {
    expect(reportedOutcomeOf({ status: 'SUCCESS', channelTradeNo: 'T' })).toBe('succeeded');
    expect(reportedOutcomeOf({ status: 'DECLINED', code: 'X' })).toBe('failed');
    expect(reportedOutcomeOf({ status: 'PENDING' })).toBe('pending');
  });
});
