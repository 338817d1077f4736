import 'reflect-metadata';
import { withLocalKafkaLogin } from '@paystream/shared/platform';
import { loadDlqRegistryConfig, loadOpsConfig, type DlqRegistryConfig, type OpsConfig } from './config';
import { dlqMain } from './dlq-cli';

let config: OpsConfig;
let registry: DlqRegistryConfig;
try {
  // on the machine setup ran on, the replay logs in to Kafka as dlq-replay (reads the DLQs, writes back only to a dead letter's own topic)
  config = loadOpsConfig(withLocalKafkaLogin(process.env, 'dlq-replay'));
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
