import { routeChannel } from './route-channel';

describe('routing a charge to a channel', () => {
  it.each([
    ['alipay', 'alipay'],
    ['wechatpay', 'wechatpay'],
    ['unionpay', 'unionpay'],
    [undefined, 'alipay'],
  ] as const)('a request for %s goes over %s', (requested, channel) => {
    expect(routeChannel(requested)).toBe(channel);
  });
});
