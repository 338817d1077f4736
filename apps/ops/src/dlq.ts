import 'reflect-metadata';
import { loadDlqRegistryConfig, loadOpsConfig, type DlqRegistryConfig, type OpsConfig } from './config';
import { dlqMain } from './dlq-cli';

let config: OpsConfig;
let registry: DlqRegistryConfig;
try {
  config = loadOpsConfig();
  registry = loadDlqRegistryConfig();
} catch (error) {
  process.stderr.write(`dlq refused to start: ${(error as Error).message}\n`);
  process.exit(2);
}
dlqMain(process.argv.slice(2), config, registry).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dlq failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
