import 'reflect-metadata';
import { createOpsApp, OpsRuntime } from '@paystream/ops/feature-monitor';
import { loadOpsConfig, type OpsConfig } from './config';

// Not runService: that one boots a Platform (its own database, consumers, outbox); ops only reads.
async function main(): Promise<void> {
  let config: OpsConfig;
  try {
    config = loadOpsConfig();
  } catch (error) {
    process.stderr.write(`ops refused to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const app = await createOpsApp(config);
  await app.listen(config.port, config.host);
  app.get(OpsRuntime).logger.info({ host: config.host, port: config.port, pollIntervalMs: config.monitor.pollIntervalMs, stallAfterMs: config.monitor.stallAfterMs, targets: config.monitor.targets }, 'ops listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`ops failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
