import { isIPv4, isIPv6 } from 'node:net';

/** The leading 16-bit groups of an IPv6 address that name one client: its /64, what one subscriber is given. */
const IPV6_CLIENT_GROUPS = 4;

/**
 * The key a client address is limited under: an IPv4 address as it is (also when IPv4-mapped), an
 * IPv6 address by its /64 (one host may use any address of its /64, so limiting the address alone
 * would limit nothing). Anything else (a unix socket, an empty address) is one key of its own.
 */
export function clientAddressKey(address: string | undefined): string {
  const ip = (address ?? '').trim().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) return `${ipv6Groups(ip).slice(0, IPV6_CLIENT_GROUPS).join(':')}::/64`;
  return `other:${ip}`;
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case hex without leading zeros. */
function ipv6Groups(ip: string): string[] {
  let text = ip.toLowerCase();
  // a dotted IPv4 tail is two groups
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
