import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { CardTokenOwner1766000000000 } from './card-token-owner.migration';
import { CardTokenRepository } from './card-token.repository';
import { CHANNEL_GATEWAY_MIGRATIONS } from './channel-gateway-tables.migration';

const token = (c: string) => `tok_${c.repeat(32)}`;

describe('the card token owner migration over existing tokens', () => {
  const schema = uniqueId('gw_cardmig_');
  const url = testDatabaseUrl();
  const before = CHANNEL_GATEWAY_MIGRATIONS.filter((m) => m !== CardTokenOwner1766000000000);
  const cards = new CardTokenRepository();
  let ds: DataSource;

  beforeAll(async () => {
    const old = await openDatabase({ url, schema, migrations: before });
    for (const t of ['a', 'b', 'c']) await old.query(`INSERT INTO card_token (token, bin, last4, channel, channel_token) VALUES ($1, '622588', '3008', 'unionpay', $2)`, [token(t), `ch-${t}`]);
    // a charged by m-1 only (twice); b by m-1 and m-2; c never charged
    const charge = (merchantId: string, cardToken: string) =>
      old.query(
        `INSERT INTO channel_transaction (payment_id, order_id, merchant_id, channel, amount_minor, currency, status, failure_code, failure_message, routing_reasons, card_token)
         VALUES ($1, $2, $3, 'unionpay', 100, 'CNY', 'FAILED', 'X', 'x', '[]', $4)`,
        [randomUUID(), randomUUID(), merchantId, cardToken],
      );
    await charge('m-1', token('a'));
    await charge('m-1', token('a'));
    await charge('m-1', token('b'));
    await charge('m-2', token('b'));
    await old.destroy();
    ds = await openDatabase({ url, schema, migrations: CHANNEL_GATEWAY_MIGRATIONS });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(url, [schema]);
  });

  it('gives a token the one merchant that charged with it; one no single merchant used has no owner and is no one\'s', async () => {
    expect(await ds.query(`SELECT token, merchant_id FROM card_token ORDER BY token`)).toEqual([
      { token: token('a'), merchant_id: 'm-1' },
      { token: token('b'), merchant_id: null },
      { token: token('c'), merchant_id: null },
    ]);
    expect(await cards.find(ds.manager, 'm-1', token('a'))).toMatchObject({ merchantId: 'm-1', channelToken: 'ch-a' });
    expect(await cards.find(ds.manager, 'm-2', token('a'))).toBeUndefined();
    expect(await cards.find(ds.manager, 'm-1', token('b'))).toBeUndefined();
  });

  it('keeps a row per merchant that tokenised the card: its own channel token, never another\'s', async () => {
    await cards.save(ds.manager, { merchantId: 'm-2', token: token('a'), bin: '622588', last4: '3008', channel: 'unionpay', channelToken: 'ch-a-2' });
    await cards.save(ds.manager, { merchantId: 'm-1', token: token('b'), bin: '622588', last4: '3008', channel: 'unionpay', channelToken: 'ch-b-1' });
    expect(await cards.find(ds.manager, 'm-1', token('a'))).toMatchObject({ channelToken: 'ch-a' });
    expect(await cards.find(ds.manager, 'm-2', token('a'))).toMatchObject({ channelToken: 'ch-a-2' });
    expect(await cards.find(ds.manager, 'm-1', token('b'))).toMatchObject({ channelToken: 'ch-b-1' });
    // tokenising again refreshes the merchant's own channel token only
    await cards.save(ds.manager, { merchantId: 'm-2', token: token('a'), bin: '622588', last4: '3008', channel: 'unionpay', channelToken: 'ch-a-2b' });
    expect(await ds.query(`SELECT merchant_id, channel_token FROM card_token WHERE token = $1 ORDER BY merchant_id`, [token('a')])).toEqual([
      { merchant_id: 'm-1', channel_token: 'ch-a' },
      { merchant_id: 'm-2', channel_token: 'ch-a-2b' },
    ]);
  });

  // last: it takes the schema back
  it('rolls back to one row per token', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new CardTokenOwner1766000000000().down(runner);
    } finally {
      await runner.release();
    }
    expect((await ds.query(`SELECT token FROM card_token ORDER BY token`)).map((r: { token: string }) => r.token)).toEqual([token('a'), token('b'), token('c')]);
    await expect(ds.query(`INSERT INTO card_token (token, bin, last4, channel, channel_token) VALUES ($1, '622588', '3008', 'unionpay', 'x')`, [token('a')])).rejects.toThrow(/duplicate key/);
  });
});
