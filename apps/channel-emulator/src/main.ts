import 'reflect-metadata';
import { createEmulatorApp, EMULATOR_LOGGER, loadEmulatorConfig, type EmulatorConfig } from '@paystream/channel-emulator/sandbox';
import type { Logger } from '@paystream/shared/observability';

// Not runService: that one boots a Platform (database, Kafka), and the emulator has neither.
async function main(): Promise<void> {
  let config: EmulatorConfig;
  try {
    config = loadEmulatorConfig();
  } catch (error) {
    process.stderr.write(`channel-emulator refused to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const app = await createEmulatorApp(config);
  await app.listen(config.port, config.host);
  app.get<Logger>(EMULATOR_LOGGER).info({ host: config.host, port: config.port, holdMs: config.holdMs, payDelayMs: config.payDelayMs, notifyTimeScale: config.notifyTimeScale, stateDir: config.stateDir ?? null }, 'channel-emulator listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`channel-emulator failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
