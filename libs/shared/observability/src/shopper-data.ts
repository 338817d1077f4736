/**
 * Shopper data a payment carries (card token, device id, IP address, user id) as it may be shown or
 * logged outside risk: masked, keeping only enough to recognise a value one already has.
 */

/** The characters of a card token shown in the clear at its end (like a card's last four). */
export const CARD_TOKEN_MASK_KEEP_END = 4;
/** The characters of a device or user id shown in the clear at its end. */
export const ID_MASK_KEEP_END = 4;
/** Shorter ids than this are masked whole (a short id's last four would be most of it). */
export const ID_MASK_LENGTH_MIN = 8;
/** The card token prefix POST /cards issues (`tok_` and 32 hex digits). */
const CARD_TOKEN_PREFIX = 'tok_';

/** tok_****************************9f3a: the prefix and the last four kept; anything else is masked whole. */
export function maskCardToken(token: string): string {
  if (!token.startsWith(CARD_TOKEN_PREFIX) || token.length <= CARD_TOKEN_PREFIX.length + CARD_TOKEN_MASK_KEEP_END) return '*'.repeat(token.length);
  const body = token.slice(CARD_TOKEN_PREFIX.length);
  return `${CARD_TOKEN_PREFIX}${'*'.repeat(body.length - CARD_TOKEN_MASK_KEEP_END)}${body.slice(-CARD_TOKEN_MASK_KEEP_END)}`;
}

/** A device or user id: its last four kept (****c9d1), or masked whole when shorter than ID_MASK_LENGTH_MIN. */
export function maskId(id: string): string {
  if (id.length < ID_MASK_LENGTH_MIN) return '*'.repeat(id.length);
  return `${'*'.repeat(id.length - ID_MASK_KEEP_END)}${id.slice(-ID_MASK_KEEP_END)}`;
}

/** An IP address: the network kept, the host masked (203.0.*.*; 2001:db8:*:* for IPv6). */
export function maskIpAddress(ip: string): string {
  if (ip.includes(':')) {
    const groups = ip.split(':');
    return `${groups.slice(0, 2).join(':')}:*:*`;
  }
  const octets = ip.split('.');
  if (octets.length !== 4) return '*';
  return `${octets[0]}.${octets[1]}.*.*`;
}

/** The shopper fields of a payment or request, as a log line may carry them. */
export function maskedShopperData(p: { userId?: string; cardToken?: string | null; deviceId?: string | null; ipAddress?: string | null }) {
  return {
    ...(p.userId !== undefined ? { userId: maskId(p.userId) } : {}),
    ...(p.cardToken ? { cardToken: maskCardToken(p.cardToken) } : {}),
    ...(p.deviceId ? { deviceId: maskId(p.deviceId) } : {}),
    ...(p.ipAddress ? { ipAddress: maskIpAddress(p.ipAddress) } : {}),
  };
}
