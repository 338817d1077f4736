const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORDER_NO_PATTERN = /^[0-9a-f]{32}$/i;

/**
 * The merchant order number every channel sees for a payment (and the refund number for a refund):
 * the id without its hyphens. 32 hexadecimal characters fit all three channels' rules (WeChat Pay
 * 6-32 characters, UnionPay orderId 8-32 letters and digits, Alipay up to 64) and map back one to one.
 */
export function channelOrderNo(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new RangeError(`not a uuid: ${id}`);
  return id.replace(/-/g, '').toLowerCase();
}

/** The payment (or refund) id of a channel order number; undefined for a number we never issued. */
export function idOfChannelOrderNo(orderNo: string): string | undefined {
  if (!ORDER_NO_PATTERN.test(orderNo)) return undefined;
  const h = orderNo.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
