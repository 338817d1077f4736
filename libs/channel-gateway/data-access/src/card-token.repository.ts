import type { Channel } from '@paystream/contracts';
import type { StoredCard } from '@paystream/shared/channel-protocols';
import type { EntityManager } from '@paystream/shared/persistence';

export interface CardTokenRecord extends StoredCard {
  channel: Channel;
  /** The channel's own token for the card (UnionPay token payments), never the card number. */
  channelToken: string;
}

/** Card tokens: token, BIN and last four, and the channel's token. The card number and CVV are never stored. */
export class CardTokenRepository {
  async save(tx: EntityManager, c: CardTokenRecord): Promise<CardTokenRecord> {
    await tx.query(
      `INSERT INTO card_token (token, bin, last4, channel, channel_token) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (token) DO UPDATE SET channel_token = EXCLUDED.channel_token`,
      [c.token, c.bin, c.last4, c.channel, c.channelToken],
    );
    return c;
  }

  async find(tx: EntityManager, token: string): Promise<CardTokenRecord | undefined> {
    const rows: { token: string; bin: string; last4: string; channel: Channel; channel_token: string }[] = await tx.query(
      `SELECT token, bin, last4, channel, channel_token FROM card_token WHERE token = $1`,
      [token],
    );
    const r = rows[0];
    return r ? { token: r.token, bin: r.bin, last4: r.last4, channel: r.channel, channelToken: r.channel_token } : undefined;
  }
}
