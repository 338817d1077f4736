import { Module, type DynamicModule } from '@nestjs/common';
import { CardTokenRepository, ChannelNotificationRepository, ChannelRefundRepository, ChannelTransactionRepository } from '@paystream/channel-gateway/data-access';
import { Platform } from '@paystream/shared/platform';
import { ChannelBreakers } from './channel-breakers';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { CardController } from './cards/card.controller';
import { ChannelQueryController } from './channel-query.controller';
import { CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { ChargeOutcomeRecorder } from './charge-outcome.recorder';
import { ChargeRequestedConsumer } from './charge-requested.consumer';
import { NotificationController } from './notifications/notification.controller';
import { RefundRequestedConsumer } from './refund-requested.consumer';
import { UnknownOutcomeWorker } from './unknown-outcome.worker';
import { UnknownRefundWorker } from './unknown-refund.worker';

/** Charges and refunds over the channels, and settles unknown outcomes (charges and refunds) by query. */
@Module({})
export class ChargeModule {
  static forRoot(settings: ChannelSettings): DynamicModule {
    return {
      module: ChargeModule,
      controllers: [ChannelQueryController, NotificationController, CardController],
      providers: [
        { provide: CHANNEL_SETTINGS, useValue: settings },
        { provide: ChannelTransactionRepository, useValue: new ChannelTransactionRepository() },
        { provide: ChannelRefundRepository, useValue: new ChannelRefundRepository() },
        { provide: ChannelNotificationRepository, useValue: new ChannelNotificationRepository() },
        { provide: CardTokenRepository, useValue: new CardTokenRepository() },
        { provide: ChannelMetrics, inject: [Platform], useFactory: (platform: Platform) => new ChannelMetrics(platform.registry) },
        {
          provide: ChannelBreakers,
          inject: [Platform, ChannelMetrics],
          useFactory: (platform: Platform, metrics: ChannelMetrics) => {
            const breakers = new ChannelBreakers(settings.breaker, metrics, platform.logger.child({ component: 'channel-breakers' }));
            platform.describeHealth('channelBreakers', () => breakers.snapshot());
            return breakers;
          },
        },
        ChannelClient,
        ChargeOutcomeRecorder,
        ChargeRequestedConsumer,
        RefundRequestedConsumer,
        UnknownOutcomeWorker,
        UnknownRefundWorker,
      ],
    };
  }
}
