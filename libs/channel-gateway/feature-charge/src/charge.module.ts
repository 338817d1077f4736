import { Module, type DynamicModule } from '@nestjs/common';
import { ChannelRefundRepository, ChannelTransactionRepository } from '@paystream/channel-gateway/data-access';
import { Platform } from '@paystream/shared/platform';
import { ChannelBreakers } from './channel-breakers';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { ChannelQueryController } from './channel-query.controller';
import { CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { ChargeRequestedConsumer } from './charge-requested.consumer';
import { RefundRequestedConsumer } from './refund-requested.consumer';
import { UnknownOutcomeWorker } from './unknown-outcome.worker';

/** Charges and refunds over the channels, and settles unknown outcomes by query. */
@Module({})
export class ChargeModule {
  static forRoot(settings: ChannelSettings): DynamicModule {
    return {
      module: ChargeModule,
      controllers: [ChannelQueryController],
      providers: [
        { provide: CHANNEL_SETTINGS, useValue: settings },
        { provide: ChannelTransactionRepository, useValue: new ChannelTransactionRepository() },
        { provide: ChannelRefundRepository, useValue: new ChannelRefundRepository() },
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
        ChargeRequestedConsumer,
        RefundRequestedConsumer,
        UnknownOutcomeWorker,
      ],
    };
  }
}
