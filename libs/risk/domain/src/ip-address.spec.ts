import { canonicalIp } from './ip-address';

describe('canonicalIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:DB8::7', '2001:db8::7'],
    ['2001:0db8:0000:0000:0000:0000:0000:0007', '2001:db8::7'],
    ['::ffff:198.51.100.1', '198.51.100.1'],
    ['::1', '::1'],
  ])('writes the IP address %s as %s', (ip, canonical) => {
    expect(canonicalIp(ip)).toBe(canonical);
  });
});
