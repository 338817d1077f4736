/**
 * Runs the demo driver against a stack of its own: the compiled services started as processes on free
 * ports, with their own Kafka topic prefix and database schema (tools/e2e/service-stack.ts), so it
 * neither needs nor disturbs a stack on the default ports. The stack is stopped and its schemas dropped
 * afterwards (the logs stay in .run/e2e/<schema>/). Arguments go to drive-orders.
 * Usage (after `npm run build`): node tools/run-dist.js dist/tools/load/demo-on-own-stack.js --count 300 --rate 10
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVICES } from '@paystream/shared/platform';
import { dropSchemas, testKafkaEnv, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { REPO_ROOT, ServiceStack, STACK_SERVICES } from '../e2e/service-stack';

/** The partitions per topic the stack's services create (ServiceStack's KAFKA_PARTITIONS), for the driver's producer. */
const STACK_PARTITIONS = '3';

async function main(): Promise<void> {
  const schema = uniqueId('demo_');
  // as scripts/stack.sh: an unknown outcome is closed after 20 s, so the demo's lost answers resolve within it,
  // the demo's settlement run as of days ahead is allowed, and the rate limits are 100 times their defaults
  const stack = new ServiceStack(uniqueTopicPrefix('demo'), schema, {
    CHANNEL_UNKNOWN_MAX_AGE_MS: '20000',
    LOG_LEVEL: 'info',
    SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true',
    RATE_LIMIT_SCALE: '100',
  });
  let status = 1;
  try {
    process.stderr.write(`starting a stack of its own (schema ${schema}, topic prefix ${stack.topicPrefix}, logs in .run/e2e/${schema}/)\n`);
    await stack.start();
    process.stderr.write(`ports: ${STACK_SERVICES.map((s) => `${s}=${stack.ports[s]}`).join(' ')}\n`);
    // the driver is an upstream order system: it logs in to the broker as the upstream principal
    const env: NodeJS.ProcessEnv = { ...process.env, ...testKafkaEnv('upstream'), HOST: '127.0.0.1', KAFKA_TOPIC_PREFIX: stack.topicPrefix, KAFKA_PARTITIONS: STACK_PARTITIONS };
    // the stack's own credentials (the driver issues its merchants' keys with the operator token)
    env.PAYSTREAM_OPERATOR_TOKEN = stack.operator.kind === 'bearer' ? stack.operator.token : '';
    env.PAYSTREAM_MONITORING_TOKEN = stack.monitoring.kind === 'bearer' ? stack.monitoring.token : '';
    for (const s of STACK_SERVICES) env[`${SERVICES[s].envPrefix}_PORT`] = String(stack.ports[s]);
    status = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), 'dist/tools/load/drive-orders.js', ...process.argv.slice(2)], { cwd: REPO_ROOT, env, stdio: 'inherit' });
      child.on('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    await stack.stop();
    for (const s of STACK_SERVICES) {
      if (SERVICES[s].database) await dropSchemas(stack.databaseUrl(s), [schema]).catch(() => undefined);
    }
  }
  process.exit(status);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo on its own stack failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
