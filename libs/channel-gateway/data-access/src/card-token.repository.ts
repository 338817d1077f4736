import type { Channel } from '@paystream/contracts';
import type { StoredCard } from '@paystream/shared/channel-protocols';
import type { EntityManager } from '@paystream/shared/persistence';

export interface CardTokenRecord extends StoredCard {
  /** The merchant that tokenised the card: the only one that may charge with the token. */
  merchantId: string;
  channel: Channel;
  /** The channel's own token for the card (UnionPay token payments), never the card number. */
  channelToken: string;
}

/**
 * Card tokens, each the merchant's that tokenised the card: token, BIN and last four, and the
 * channel's token. The card number and CVV are never stored. The token names the card (the same
 * card gives the same token), so a card two merchants tokenised has a row for each.
 */
export class CardTokenRepository {
  async save(tx: EntityManager, c: CardTokenRecord): Promise<CardTokenRecord> {
    await tx.query(
      `INSERT INTO card_token (merchant_id, token, bin, last4, channel, channel_token) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (merchant_id, token) DO UPDATE SET channel_token = EXCLUDED.channel_token`,
      [c.merchantId, c.token, c.bin, c.last4, c.channel, c.channelToken],
    );
    return c;
  }

  /** The merchant's card behind a token; undefined for a token it never tokenised (unknown, or another merchant's: the same answer). */
  async find(tx: EntityManager, merchantId: string, token: string): Promise<CardTokenRecord | undefined> {
    const rows: { merchant_id: string; token: string; bin: string; last4: string; channel: Channel; channel_token: string }[] = await tx.query(
      `SELECT merchant_id, token, bin, last4, channel, channel_token FROM card_token WHERE token = $1 AND merchant_id = $2`,
      [token, merchantId],
    );
    const r = rows[0];
    return r ? { merchantId: r.merchant_id, token: r.token, bin: r.bin, last4: r.last4, channel: r.channel, channelToken: r.channel_token } : undefined;
  }
}
