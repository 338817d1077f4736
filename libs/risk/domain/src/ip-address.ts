import { isIPv6, SocketAddress } from 'node:net';

/**
 * One address written one way, so it counts as one: IPv6 in its canonical form (lower case, zeros
 * compressed), an IPv4-mapped IPv6 address as the IPv4 address it maps.
 */
export function canonicalIp(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const canonical = new SocketAddress({ address: ip, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical);
  return mapped ? mapped[1]! : canonical;
}
