import type { Channel } from '@paystream/contracts';

/** The channel used when an order names none. */
export const DEFAULT_CHANNEL: Channel = 'alipay';

/** The channel a charge goes over: the one asked for, or the default. */
export function routeChannel(requested: Channel | undefined): Channel {
  return requested ?? DEFAULT_CHANNEL;
}
