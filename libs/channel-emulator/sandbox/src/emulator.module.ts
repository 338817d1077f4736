import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, traceRequests, type Logger } from '@paystream/shared/observability';
import { AlipayGatewayController } from './alipay-gateway.controller';
import { BooksController } from './books.controller';
import { injectCallFaults } from './call-faults';
import { ChannelSandbox } from './channel-sandbox';
import type { EmulatorConfig } from './emulator-config';
import { DailyBills } from './daily-bills';
import { EmulatorController } from './emulator.controller';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from './emulator-tokens';
import { SandboxFaults } from './fault-plan';
import { IdentityProviderController } from './identity-provider.controller';
import { NotificationSender } from './notification-sender';
import { SandboxFaultsController } from './sandbox-faults.controller';
import { SandboxJournal } from './sandbox-journal';
import { UnionpayController } from './unionpay.controller';
import { UnionpayFileTransferController } from './unionpay-file-transfer.controller';
import { WechatpayController } from './wechatpay.controller';

/** Stops the sandbox's timers and pending notification retries when the app closes. */
class EmulatorShutdown implements OnApplicationShutdown {
  constructor(
    private readonly sandbox: ChannelSandbox,
    private readonly sender: NotificationSender,
  ) {}

  onApplicationShutdown(): void {
    this.sandbox.stop();
    this.sender.stop();
  }
}

/** channel-emulator: Alipay, WeChat Pay and UnionPay in their own protocols, and the bank, for the demo and the tests. */
@Module({})
export class EmulatorModule {
  static forRoot(config: EmulatorConfig): DynamicModule {
    const logger = createLogger('channel-emulator', config.logLevel);
    const faults = new SandboxFaults();
    const sender = new NotificationSender(config.keys, config.ids, config.notifyTimeScale, logger.child({ component: 'notifications' }), faults);
    const journalLog = logger.child({ component: 'journal' });
    const journal = config.stateDir ? new SandboxJournal(config.stateDir, (warning) => journalLog.warn(warning, 'skipped a journal line that does not read')) : undefined;
    const sandbox = new ChannelSandbox({ holdMs: config.holdMs, payDelayMs: config.payDelayMs }, (due) => sender.send(due), journal);
    if (journal) journalLog.info({ file: journal.file, restored: sandbox.stats() }, 'channel books restored from the journal');
    return {
      module: EmulatorModule,
      controllers: [BooksController, EmulatorController, AlipayGatewayController, WechatpayController, UnionpayController, UnionpayFileTransferController, IdentityProviderController, SandboxFaultsController],
      providers: [
        { provide: EMULATOR_CONFIG, useValue: config },
        { provide: ChannelSandbox, useValue: sandbox },
        { provide: NotificationSender, useValue: sender },
        { provide: SandboxFaults, useValue: faults },
        { provide: DailyBills, useValue: new DailyBills(sandbox) },
        { provide: EMULATOR_LOGGER, useValue: logger },
        { provide: EmulatorShutdown, useValue: new EmulatorShutdown(sandbox, sender) },
      ],
    };
  }
}

/** Creates the emulator app (raw bodies kept: WeChat Pay signatures cover the exact bytes). Not listening yet. */
export async function createEmulatorApp(config: EmulatorConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(EmulatorModule.forRoot(config), new FastifyAdapter(), { logger: ['error', 'warn'], rawBody: true, abortOnError: false });
  traceRequests(app.getHttpAdapter().getInstance());
  injectCallFaults(app.getHttpAdapter().getInstance(), app.get(SandboxFaults), app.get<Logger>(EMULATOR_LOGGER).child({ component: 'faults' }));
  app.enableShutdownHooks();
  return app;
}

export type { Logger };
