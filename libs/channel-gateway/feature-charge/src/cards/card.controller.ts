import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { Allow, StrictRateLimit, tenantScopeOf } from '@paystream/shared/auth';
import { z } from 'zod';
import { describeIssues, storableText } from '@paystream/contracts';
import { CardTokenRepository } from '@paystream/channel-gateway/data-access';
import { encryptUnionpayField, luhnValid, tokenizeCard } from '@paystream/shared/channel-protocols';
import { maskCardToken } from '@paystream/shared/observability';
import { ApiError, Platform } from '@paystream/shared/platform';
import { ChannelClient } from '../channel.client';
import { CHANNEL_QUERY_TIMEOUT_MS, CHANNEL_SETTINGS, type ChannelSettings } from '../channel-settings';

/** UnionPay cards start with 62 (the card channel here takes UnionPay-branded cards only). */
const UNIONPAY_BIN_PREFIX = '62';

/** The body of POST /cards. */
export const cardSchema = z.object({
  number: storableText().transform((s) => s.replace(/[\s-]/g, '')).pipe(storableText().regex(/^\d{12,19}$/, 'a card number of 12 to 19 digits')),
  expiry: storableText().regex(/^(0[1-9]|1[0-2])\d{2}$/, 'MMYY'),
  cvv: storableText().regex(/^\d{3}$/, 'three digits'),
});

/**
 * POST /cards: exchanges a card for a token, before any payment exists. The number is Luhn- and
 * BIN-checked, sent to UnionPay encrypted (with the CVN2 and expiry) to open the channel's token,
 * and what is stored is our token, the BIN and the last four, never the number or the CVV. The
 * same card gives the same token, so repeating the call is harmless. The token is the calling
 * merchant's (the principal's, never a field of the body): a charge with it for another merchant is
 * refused as an unknown token (ChargeRequestedConsumer).
 */
@Controller('cards')
export class CardController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(CardTokenRepository) private readonly cards: CardTokenRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {}

  @Post()
  @Allow('merchant')
  // a card-testing oracle (is this number live?): stricter limits per key and per client address
  @StrictRateLimit('card-tokenize')
  @HttpCode(201)
  async tokenize(@Body() body: unknown, @Req() request: object) {
    const scope = tenantScopeOf(request);
    if (scope.kind !== 'merchant') throw new Error('POST /cards is a merchant route: a token is always some merchant\'s');
    const parsed = cardSchema.safeParse(body);
    if (!parsed.success) throw new ApiError('VALIDATION_FAILED', describeIssues(parsed.error.issues));
    const { number, expiry, cvv } = parsed.data;
    if (!luhnValid(number)) throw new ApiError('CARD_INVALID', 'the card number fails the Luhn check');
    if (!number.startsWith(UNIONPAY_BIN_PREFIX)) throw new ApiError('CARD_NOT_SUPPORTED', `BIN ${number.slice(0, 6)} is not a UnionPay card`);
    const card = tokenizeCard(number, this.settings.cardTokenKey);
    const key = this.settings.unionpay.platformPublicKeyPem;
    const opened = await this.channel.unionpay.openToken(
      {
        accNo: encryptUnionpayField(number, key),
        customerInfo: Buffer.from(`{encryptedInfo=${encryptUnionpayField(`cvn2=${cvv}&expired=${expiry.slice(2)}${expiry.slice(0, 2)}`, key)}}`, 'utf8').toString('base64'),
        encryptCertId: this.settings.unionpay.platformCertId,
      },
      `T${Date.now()}${randomBytes(4).toString('hex')}`,
      CHANNEL_QUERY_TIMEOUT_MS,
    );
    if (!opened.ok) throw new ApiError(opened.code === 'RESP_61' ? 'CARD_INVALID' : 'CHANNEL_UNAVAILABLE', `UnionPay did not open a token (${opened.code})`);
    await this.cards.save(this.platform.ds.manager, { ...card, merchantId: scope.merchantId, channel: 'unionpay', channelToken: opened.token });
    this.platform.logger.info({ merchantId: scope.merchantId, bin: card.bin, last4: card.last4, cardToken: maskCardToken(card.token) }, 'card tokenised');
    return { cardToken: card.token, bin: card.bin, last4: card.last4, channel: 'unionpay' };
  }
}
