import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { EmulatorModule, loadEmulatorConfig, type EmulatorConfig } from '@paystream/channel-emulator/sandbox';

async function main(): Promise<void> {
  let config: EmulatorConfig;
  try {
    config = loadEmulatorConfig();
  } catch (error) {
    process.stderr.write(`channel-emulator refused to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const app = await NestFactory.create<NestFastifyApplication>(EmulatorModule.forRoot(config), new FastifyAdapter(), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  process.stdout.write(`${JSON.stringify({ level: 30, service: 'channel-emulator', msg: 'channel-emulator listening', port: config.port, holdMs: config.holdMs })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`channel-emulator failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
