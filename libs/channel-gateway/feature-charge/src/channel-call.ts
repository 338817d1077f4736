import type { ChannelAnswer } from '@paystream/channel-gateway/domain';
import { HttpCallError } from '@paystream/shared/platform';

/** Runs a channel call, turning "no answer" into the answer kinds the outcome rules read. */
export async function channelCall(call: () => Promise<ChannelAnswer>): Promise<ChannelAnswer> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpCallError) return error.kind === 'timeout' ? { kind: 'timeout' } : { kind: 'network', detail: error.message };
    throw error;
  }
}
