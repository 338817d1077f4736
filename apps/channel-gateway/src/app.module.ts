import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { CHANNEL_GATEWAY_MIGRATIONS } from '@paystream/channel-gateway/data-access';
import { BillsModule } from '@paystream/channel-gateway/feature-bills';
import { ChargeModule } from '@paystream/channel-gateway/feature-charge';
import { PlatformModule } from '@paystream/shared/platform';
import type { GatewayConfig } from './config';

/** channel-gateway: speaks to the payment channels. */
@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ config, migrations: CHANNEL_GATEWAY_MIGRATIONS, producesTopics: [TOPICS.channelChargeCompleted, TOPICS.channelRefundCompleted] }),
        ChargeModule.forRoot(config.channel),
        BillsModule.forRoot(config.channel),
      ],
    };
  }
}
