import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@paystream/shared/observability';
import type { EmulatorConfig } from './emulator-config';
import { ChannelSandbox } from './channel-sandbox';
import { ALIPAY_EMULATOR_KEYS, AlipayGatewayController } from './alipay-gateway.controller';
import { EMULATOR_LOGGER, EmulatorController } from './emulator.controller';

/** channel-emulator: Alipay / WeChat Pay / UnionPay and the bank, for the demo and the tests. */
@Module({})
export class EmulatorModule {
  static forRoot(config: EmulatorConfig): DynamicModule {
    return {
      module: EmulatorModule,
      controllers: [EmulatorController, AlipayGatewayController],
      providers: [
        { provide: ALIPAY_EMULATOR_KEYS, useValue: config.alipay },
        { provide: ChannelSandbox, useValue: new ChannelSandbox(config.holdMs) },
        { provide: EMULATOR_LOGGER, useValue: createLogger('channel-emulator', config.logLevel) },
      ],
    };
  }
}
