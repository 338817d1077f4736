import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@paystream/shared/observability';
import type { EmulatorConfig } from './config';
import { ChannelSandbox } from './sandbox/channel-sandbox';
import { EMULATOR_LOGGER, EmulatorController } from './sandbox/emulator.controller';

/** channel-emulator: Alipay / WeChat Pay / UnionPay and the bank, for the demo and the tests. */
@Module({})
export class AppModule {
  static forRoot(config: EmulatorConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [EmulatorController],
      providers: [
        { provide: ChannelSandbox, useValue: new ChannelSandbox(config.holdMs) },
        { provide: EMULATOR_LOGGER, useValue: createLogger('channel-emulator', config.logLevel) },
      ],
    };
  }
}
