import { Module, type DynamicModule } from '@nestjs/common';
import { EmulatorModule } from '@paystream/channel-emulator/sandbox';
import type { EmulatorConfig } from './config';

/** channel-emulator: the channels and the bank, with no database and no Kafka. */
@Module({})
export class AppModule {
  static forRoot(config: EmulatorConfig): DynamicModule {
    return { module: AppModule, imports: [EmulatorModule.forRoot(config)] };
  }
}
