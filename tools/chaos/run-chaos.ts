/**
 * The chaos run (the library behind chaos-cli): `npm run chaos -- --seed N --minutes M [--replicas 2] [--brokers 1|3] [--rate 5]`.
 * Starts a stack of its own (its own Postgres and Kafka, every service but the emulator and ops as
 * replicas in the same consumer groups), drives the demo's traffic, injects the faults the seed
 * schedules, heals everything, waits for the stack to drain, runs the auditor and exits with its
 * verdict. The seed is printed first, and the command that repeats the run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, relative } from 'node:path';
import { createKafka, type KafkaSettings } from '@paystream/shared/kafka';
import { createLogger } from '@paystream/shared/observability';
import { SERVICES } from '@paystream/shared/platform';
import { REPO_ROOT, ServiceStack, STACK_SERVICES, type StackService } from '../e2e/service-stack';
import { DemoAuth, demoFetch, useDemoAuth } from '../load/demo-auth';
import { reconcileToday } from '../load/reconciliation-report';
import { reproduceCommand, type ChaosOptions } from './chaos-options';
import { faultCounts, recoveryByKind, reportLines, type ChaosReport, type InjectedFault } from './chaos-report';
import { ChaosTraffic } from './chaos-traffic';
import { deriveSeed, describeFault, isProcessFault, planFaults, REPLICATED_SERVICES, seededRandom, type FaultEvent } from './fault-schedule';
import { FailoverProxy } from './failover-proxy';
import { OwnKafka } from './own-kafka';
import { OwnPostgres } from './own-postgres';
import { allHealthy, outboxBacklog, servicesLag } from './stack-drain';

/** The auditor the run ends with (built by `npm run build` from tools/auditor). */
export const AUDITOR_CLI = join('dist', 'tools', 'auditor', 'audit-cli.js');
/** Exit code when there is no verdict (the auditor is not built, or the run could not start). */
export const EXIT_NO_VERDICT = 3;
/** Partitions per topic: more than one, so the replicas share a group's partitions. */
const CHAOS_PARTITIONS = 3;
/** An unknown channel outcome is closed after this long (the demo's value), so lost answers resolve within the drain. */
const CHANNEL_UNKNOWN_MAX_AGE_MS = 20_000;
/** The drain's bound: every order an outcome, lag 0, outboxes empty (the channel query horizon included). */
const DRAIN_TIMEOUT_MS = 120_000 + CHANNEL_UNKNOWN_MAX_AGE_MS;
const DRAIN_POLL_MS = 1_000;
/** How long a heal may take to show every replica healthy before the run stops measuring it. */
const HEALTHY_WAIT_MS = 120_000;
/** A replica that died on its own is restarted after a seeded delay in this range (as systemd would). */
const SUPERVISOR_RESTART_MS = [1_000, 5_000] as const;
/** How long a (re)started service may take to answer /health on a busy box (brokers recovering included). */
const SERVICE_READY_TIMEOUT_MS = 180_000;
const REFUND_OUTCOME_WAIT_MS = 60_000;
const SETTLEMENT_WAIT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The run's own Postgres and Kafka; a series of seeds shares one (each seed has its own schema and topic prefix). */
export interface ChaosInfra {
  postgres: OwnPostgres;
  kafka: OwnKafka;
}

/** Starts a Postgres with the services' databases and a Kafka cluster of `brokers` nodes, logging into logDir. */
export async function startInfra(logDir: string, brokers: 1 | 3): Promise<ChaosInfra> {
  mkdirSync(logDir, { recursive: true });
  const postgres = new OwnPostgres(join(logDir, 'postgres.log'));
  const kafka = new OwnKafka(REPO_ROOT, logDir, brokers);
  try {
    await postgres.start(STACK_SERVICES.flatMap((s) => (SERVICES[s].database ? [SERVICES[s].database] : [])));
    await kafka.start(CHAOS_PARTITIONS);
  } catch (error) {
    await Promise.allSettled([kafka.dispose(), postgres.dispose()]);
    throw error;
  }
  return { postgres, kafka };
}

/** Stops the run's Postgres and Kafka and removes their folders. */
export async function stopInfra(infra: ChaosInfra): Promise<void> {
  await infra.kafka.dispose().catch(() => undefined);
  await infra.postgres.dispose().catch(() => undefined);
}

/**
 * One seed's run; exits with the auditor's code (EXIT_NO_VERDICT when there is none). Without `shared`
 * it starts and stops its own Postgres and Kafka; with it, it uses (and heals, but leaves running) those.
 */
export async function runChaos(o: ChaosOptions, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`), shared?: ChaosInfra): Promise<number> {
  const runDir = join(REPO_ROOT, '.run', 'chaos', String(o.seed));
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const events = createWriteStream(join(runDir, 'events.log'), { flags: 'a' });
  const log = (line: string) => {
    const stamped = `[chaos ${new Date().toISOString().slice(11, 23)}] ${line}`;
    out(stamped);
    events.write(`${stamped}\n`);
  };
  const auditorBuilt = existsSync(join(REPO_ROOT, AUDITOR_CLI));
  if (!auditorBuilt) log(`auditor not built (${AUDITOR_CLI} is missing): the run goes on, but ends without a verdict`);
  const plan = planFaults(o.seed, o.minutes, { replicas: o.replicas, brokers: o.brokers, emulatorFaults: o.emulatorFaults, clientFaults: o.clientFaults });
  writeFileSync(join(runDir, 'schedule.txt'), `${plan.map(describeFault).join('\n')}\n`);
  log(`${plan.length} faults scheduled (${relative(REPO_ROOT, join(runDir, 'schedule.txt'))})`);

  let infra = shared;
  const gatewayProxy = new FailoverProxy(() => replicaUrls('channel-gateway'));
  let stopping = false;
  const unexpectedExits: string[] = [];
  const supervisorRng = seededRandom(deriveSeed(o.seed, 'supervisor'));
  const topicPrefix = `chaos${o.seed}.`;
  const schema = `chaos_${o.seed}`;
  const replicas = Object.fromEntries(REPLICATED_SERVICES.map((s) => [s, o.replicas])) as Partial<Record<StackService, number>>;
  let stack: ServiceStack | undefined;
  const replicaUrls = (s: StackService) => Array.from({ length: stack?.replicaCount(s) ?? 0 }, (_, r) => stack!.url(s, r));
  let traffic: ChaosTraffic | undefined;
  const started = Date.now();
  // an interrupted run leaves no server behind (the Postgres runs in a process group of its own)
  const interrupted = (signal: NodeJS.Signals) => {
    stopping = true;
    log(`${signal}: stopping the stack and the run's own Postgres and Kafka`);
    void Promise.allSettled([stack?.stop(), infra ? stopInfra(infra) : undefined]).then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    infra ??= await startInfra(runDir, o.brokers);
    const { postgres, kafka } = infra;
    if (kafka.brokerCount !== o.brokers) throw new Error(`the shared Kafka has ${kafka.brokerCount} brokers, the run asks for ${o.brokers}`);
    log(`own postgres on 127.0.0.1:${postgres.port} (pid ${postgres.pid})`);
    log(`own kafka: ${kafka.brokers.join(',')} (SASL_SSL, replication factor ${kafka.replicationFactor})`);
    // the ownership ACLs for this seed's topics and groups: each service, the traffic (upstream), the lag reader
    // (ops) and the auditor get exactly their production rights
    await kafka.grantAcls(topicPrefix);
    await gatewayProxy.start();
    stack = new ServiceStack(
      topicPrefix,
      schema,
      {
        KAFKA_REPLICATION_FACTOR: String(kafka.replicationFactor),
        CHANNEL_UNKNOWN_MAX_AGE_MS: String(CHANNEL_UNKNOWN_MAX_AGE_MS),
        SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true',
        // the emulator's notifications and settlement's bill downloads reach a live gateway replica
        CHANNEL_NOTIFY_BASE_URL: gatewayProxy.url,
        CHANNEL_GATEWAY_URL: gatewayProxy.url,
        LOG_LEVEL: 'info',
      },
      {
        replicas,
        databaseUrl: (db) => postgres.url(db),
        // each service logs in as its own principal, from the cluster's secrets
        kafka: { brokers: kafka.brokers, secretsDir: kafka.secretsDir },
        logDir: runDir,
        readyTimeoutMs: SERVICE_READY_TIMEOUT_MS,
        onUnexpectedExit: (service, replica, code, signal) => {
          if (stopping) return;
          const delay = SUPERVISOR_RESTART_MS[0] + Math.floor(supervisorRng() * (SUPERVISOR_RESTART_MS[1] - SUPERVISOR_RESTART_MS[0]));
          unexpectedExits.push(`${service}#${replica} exited (code ${code}, signal ${signal}) ${((Date.now() - started) / 1000).toFixed(0)} s into the run (start-up included)`);
          log(`supervisor: ${service}#${replica} exited on its own (code ${code}, signal ${signal}); restarting in ${delay} ms`);
          void sleep(delay).then(() => (stopping ? undefined : stack!.startReplica(service, replica).catch((e: unknown) => log(`supervisor: ${service}#${replica} did not come back: ${(e as Error).message}`))));
        },
      },
    );
    await stack.start();
    // the run calls the services as the demo does: the stack's operator and monitoring tokens, a live key per demo merchant
    useDemoAuth(new DemoAuth(stack.operator, stack.monitoring, stack.url('merchant'), 'merchant-0'));
    log(`stack up: ${STACK_SERVICES.map((s) => `${s}=${replicaUrls(s).map((u) => u.split(':').pop()).join('/') || stack!.ports[s]}`).join(' ')}; logs in ${relative(REPO_ROOT, runDir)}/`);

    // the traffic is an upstream order system: the upstream principal (writes orders, reads outcomes in upstream.* groups)
    const settings: KafkaSettings = { ...kafka.clientSettings('upstream'), clientId: `chaos-load-${o.seed}`, topicPrefix, partitions: CHAOS_PARTITIONS };
    const client = createKafka(settings, createLogger('chaos-load', 'fatal'));
    // the services' lag is read as ops reads it (describes every topic and group, reads none)
    const lagClient = createKafka({ ...settings, ...kafka.clientSettings('ops'), clientId: `chaos-lag-${o.seed}` }, createLogger('chaos-lag', 'fatal'));
    // every shopper the run may use is registered: client faults take order numbers of their own, and the
    // traffic runs on while a late fault finishes, so twice the nominal count (shoppers repeat after 997)
    const expectedOrders = Math.ceil(o.rate * o.minutes * 60 * 2) + 50;
    traffic = new ChaosTraffic(client, settings, `s${o.seed}`, { orderPayment: () => replicaUrls('order-payment'), settlement: () => replicaUrls('settlement'), channelGateway: stack.url('channel-gateway'), risk: stack.url('risk'), merchant: stack.url('merchant') }, o.rate, expectedOrders);
    await traffic.prepare();
    const t0 = Date.now();
    traffic.start();
    log(`traffic: ${o.rate} orders/s for ${o.minutes} min; faults over the first ${Math.round(o.minutes * 48)} s`);

    const injected: InjectedFault[] = [];
    let emulatorFaultsAvailable = true;
    const emulatorUrl = stack.url('channel-emulator');
    const healthyAfter = async (healedAtMs: number) => {
      for (const deadline = Date.now() + HEALTHY_WAIT_MS; Date.now() < deadline; await sleep(250)) {
        if (await allHealthy(stack!)) return Date.now() - healedAtMs;
      }
      return undefined;
    };
    const carryOut = async (e: FaultEvent) => {
      await sleep(t0 + e.atMs - Date.now());
      const f: InjectedFault = { event: e, injectedAtMs: Date.now() };
      injected.push(f);
      log(`fault: ${describeFault(e)}`);
      try {
        switch (e.kind) {
          case 'replica-kill':
            await stack!.kill(e.service, 'SIGKILL', e.replica);
            await sleep(e.restartAfterMs);
            await stack!.startReplica(e.service, e.replica);
            break;
          case 'replica-pause':
            stack!.pause(e.service, e.replica);
            await sleep(e.durationMs);
            stack!.resume(e.service, e.replica);
            break;
          case 'broker-kill':
            await kafka.kill(e.broker);
            await sleep(e.restartAfterMs);
            await kafka.restart(e.broker);
            break;
          case 'broker-pause':
            kafka.pause(e.broker);
            await sleep(e.durationMs);
            kafka.resume(e.broker);
            break;
          case 'postgres-kill':
            await postgres.kill();
            await sleep(e.restartAfterMs);
            await postgres.restart();
            break;
          case 'postgres-cut':
            log(`  cut ${await postgres.cutConnections()} connections`);
            break;
          case 'emulator-faults': {
            if (!emulatorFaultsAvailable) {
              f.skipped = 'emulator faults unavailable';
              return;
            }
            const res = await fetch(`${emulatorUrl}/sandbox/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seed: e.seed, faults: e.faults }) });
            if (res.status === 404) {
              emulatorFaultsAvailable = false;
              f.skipped = 'emulator faults unavailable';
              log('emulator faults unavailable (PUT /sandbox/faults answered 404): skipping them for the rest of the run');
              return;
            }
            if (!res.ok) throw new Error(`PUT /sandbox/faults answered ${res.status}: ${await res.text()}`);
            await sleep(e.durationMs);
            await fetch(`${emulatorUrl}/sandbox/faults`, { method: 'DELETE' });
            break;
          }
          case 'concurrent-idempotent-payment':
            await traffic!.concurrentIdempotentPayment();
            break;
          case 'duplicate-order-event':
            await traffic!.duplicateOrderEvent();
            break;
        }
        f.healedAtMs = Date.now();
        if (isProcessFault(e)) {
          f.healthyAfterMs = await healthyAfter(f.healedAtMs);
          log(`  healed; all replicas healthy ${f.healthyAfterMs === undefined ? `not within ${HEALTHY_WAIT_MS} ms` : `after ${f.healthyAfterMs} ms`}`);
        }
      } catch (error) {
        f.error = (error as Error).message;
        log(`  fault ${e.kind} failed: ${f.error}`);
      }
    };
    // process faults one after another (a late one waits for the one before), emulator windows likewise; client faults when due
    const chain = async (es: FaultEvent[]) => {
      for (const e of es) await carryOut(e);
    };
    await Promise.all([
      chain(plan.filter(isProcessFault)),
      chain(plan.filter((e) => e.kind === 'emulator-faults')),
      ...plan.filter((e) => e.kind === 'concurrent-idempotent-payment' || e.kind === 'duplicate-order-event').map(carryOut),
    ]);
    await sleep(t0 + o.minutes * 60_000 - Date.now());
    log(`traffic stops: ${traffic.orders.size} orders sent; waiting for the calls in flight`);
    await traffic.stop();

    // heal everything: every replica running, every broker up, the emulator well again
    log('heal: SIGCONT all, restart the dead, clear the emulator faults');
    for (const s of REPLICATED_SERVICES) for (let r = 0; r < o.replicas; r++) stack.resume(s, r);
    await kafka.heal();
    if (!postgres.pid) await postgres.restart();
    await Promise.all(REPLICATED_SERVICES.flatMap((s) => Array.from({ length: o.replicas }, (_, r) => stack!.startReplica(s, r))));
    if (emulatorFaultsAvailable) await fetch(`${emulatorUrl}/sandbox/faults`, { method: 'DELETE' }).catch(() => undefined);

    // a payment risk held for review has no outcome until an analyst decides: it is not waited for
    const waitingFor = async () => {
      const statuses = await paymentStatuses(stack!, traffic!.pending().map((x) => orderIdOf(x)));
      return { statuses, waiting: traffic!.pending().filter((x) => statuses.get(orderIdOf(x)) !== 'IN_REVIEW') };
    };
    const orderIdOf = (x: { orderId: string }) => x.orderId;
    const drainStart = Date.now();
    let drained = { lagZero: false, outboxEmpty: false, allOutcomes: false };
    for (let lastLine = 0; Date.now() - drainStart < DRAIN_TIMEOUT_MS; await sleep(DRAIN_POLL_MS)) {
      const pending = (await waitingFor()).waiting.length;
      const lag = await servicesLag(lagClient, topicPrefix);
      const outbox = await outboxBacklog(stack);
      const lagTotal = lag ? Object.values(lag).reduce((a, n) => a + n, 0) : undefined;
      const outboxTotal = Object.values(outbox).every((n) => n !== undefined) ? Object.values(outbox).reduce((a: number, n) => a + n!, 0) : undefined;
      drained = { lagZero: lagTotal === 0, outboxEmpty: outboxTotal === 0, allOutcomes: pending === 0 };
      if (drained.lagZero && drained.outboxEmpty && drained.allOutcomes) break;
      if (Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        log(`drain: ${pending} orders without an outcome, lag ${lagTotal ?? '?'}, outbox ${outboxTotal ?? '?'}`);
      }
    }
    // the end of the day: a last settlement run, the refunds' outcomes, settlement paid out, reconciliation
    await traffic.settlementRun();
    await traffic.awaitRefunds(REFUND_OUTCOME_WAIT_MS);
    const settlementStats = async () => (await demoFetch(`${stack!.url('settlement')}/settlement/stats`).then((r) => r.json() as Promise<Record<string, number>>).catch(() => undefined)) ?? undefined;
    for (const deadline = Date.now() + SETTLEMENT_WAIT_MS; Date.now() < deadline; await sleep(500)) {
      if ((await settlementStats())?.pending === 0) break;
    }
    const reconciliation = await reconcileToday({ settlement: stack.url('settlement'), channelEmulator: emulatorUrl }, false);
    log(`reconciliation ${reconciliation.date}: ${reconciliation.error ?? reconciliation.runs.map((r) => `${r.channel} ${r.status}`).join(', ')}`);
    // what the end of the day produced is drained too before the audit
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(DRAIN_POLL_MS)) {
      const lag = await servicesLag(lagClient, topicPrefix);
      const outbox = await outboxBacklog(stack);
      if (lag && Object.values(lag).every((n) => n === 0) && Object.values(outbox).every((n) => n === 0)) break;
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    log(`drained in ${drainSeconds.toFixed(0)} s: ${JSON.stringify(drained)}`);

    const verdict = await audit(runDir, {
      databases: Object.fromEntries(REPLICATED_SERVICES.map((s) => [s, stack!.databaseUrl(s)])),
      schema,
      // the auditor logs in as its own principal (reads the orders, outcomes and DLQs, writes nothing); the target names files only
      kafka: { brokers: kafka.brokers, topicPrefix, caFile: join(kafka.secretsDir, 'ca.pem'), sasl: { username: 'auditor', passwordFile: kafka.passwordFile('auditor') } },
      emulatorUrl,
      deliberateDeadLetterIds: traffic.deliberateDeadLetterIds,
    }, auditorBuilt, out);
    const stats = await settlementStats();
    const orders = [...traffic.orders.values()];
    const noOutcome = await waitingFor();
    const noOutcomeByStatus: Record<string, string[]> = {};
    for (const x of traffic.pending()) (noOutcomeByStatus[noOutcome.statuses.get(orderIdOf(x)) ?? 'NO_PAYMENT'] ??= []).push(orderIdOf(x));
    const failedByCode: Record<string, number> = {};
    for (const x of orders) if (x.outcome?.kind === 'failed') failedByCode[x.outcome.code ?? '?'] = (failedByCode[x.outcome.code ?? '?'] ?? 0) + 1;
    const report: ChaosReport & { unexpectedExits: string[]; reconciliation: unknown; schedule: string[]; noOutcomeByStatus: Record<string, string[]> } = {
      seed: o.seed,
      minutes: o.minutes,
      replicas: o.replicas,
      brokers: o.brokers,
      reproduce: reproduceCommand(o),
      faults: faultCounts(injected),
      faultsSkipped: injected.flatMap((f) => (f.skipped ? [{ kind: f.event.kind, reason: f.skipped }] : [])),
      faultErrors: injected.flatMap((f) => (f.error ? [{ fault: describeFault(f.event), error: f.error }] : [])),
      orders: {
        requested: orders.length,
        viaHttp: orders.filter((x) => x.via === 'http').length,
        succeeded: orders.filter((x) => x.outcome?.kind === 'succeeded').length,
        failed: orders.filter((x) => x.outcome?.kind === 'failed').length,
        noOutcome: noOutcome.waiting.length,
        heldForReview: noOutcomeByStatus.IN_REVIEW?.length ?? 0,
        failedByCode,
        httpUnanswered: orders.filter((x) => x.via === 'http' && (x.httpStatus === undefined || x.httpStatus === 0 || x.httpStatus >= 500)).length,
        httpRefused: orders.filter((x) => x.via === 'http' && x.httpStatus !== undefined && x.httpStatus >= 400 && x.httpStatus < 500).length,
        noOutcomeByStatus: Object.fromEntries(Object.entries(noOutcomeByStatus).filter(([k]) => k !== 'IN_REVIEW').map(([k, ids]) => [k, ids.length])),
      },
      refunds: {
        requested: traffic.refunds.length,
        succeeded: traffic.refunds.filter((r) => r.status === 'SUCCEEDED').length,
        failed: traffic.refunds.filter((r) => r.status === 'FAILED').length,
        refused: traffic.refunds.filter((r) => r.status === 'REFUSED').length,
        noOutcome: traffic.refunds.filter((r) => r.status === 'REQUESTED').length,
      },
      settlementRuns: { asked: traffic.settlementRuns.length, answered: traffic.settlementRuns.filter((r) => r.status > 0 && r.status < 500).length },
      payouts: { completed: stats?.completed ?? null, due: stats?.due ?? null },
      clientFaultFindings: traffic.clientFaults.flatMap((c) => (c.finding ? [`${c.kind} ${c.orderId}: ${c.finding}`] : [])),
      deliberateDeadLetters: traffic.deliberateDeadLetterIds.length,
      recovery: recoveryByKind(injected, orders.flatMap((x) => (x.outcome ? [x.outcome.atMs] : []))),
      drain: { seconds: drainSeconds, ...drained },
      verdict,
      logs: relative(REPO_ROOT, runDir),
      unexpectedExits,
      noOutcomeByStatus,
      reconciliation,
      schedule: plan.map(describeFault),
    };
    writeFileSync(join(runDir, 'report.json'), JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    for (const line of reportLines(report)) out(line);
    if (unexpectedExits.length) out(`  unexpected exits     ${unexpectedExits.join('; ')}`);
    return verdict.exitCode;
  } catch (error) {
    log(`the run could not complete: ${(error as Error).stack ?? error}`);
    out(`chaos: seed ${o.seed} could not complete; logs in ${relative(REPO_ROOT, runDir)}/; reproduce: ${reproduceCommand(o)}`);
    return EXIT_NO_VERDICT;
  } finally {
    stopping = true;
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await traffic?.dispose().catch(() => undefined);
    // stops the processes and ends the query pools before the server goes away (the schema goes with the server)
    await stack?.dispose().catch(() => undefined);
    await gatewayProxy.stop().catch(() => undefined);
    if (infra && !shared) await stopInfra(infra);
    events.end();
  }
}

/** The payment status of each order that has a payment row (order-payment's database). */
async function paymentStatuses(stack: ServiceStack, orderIds: string[]): Promise<Map<string, string>> {
  if (!orderIds.length) return new Map();
  const rows = await stack.query<{ order_id: string; status: string }>('order-payment', `SELECT order_id, status FROM payment WHERE order_id = ANY($1)`, [orderIds]).catch(() => []);
  return new Map(rows.map((r) => [r.order_id, r.status]));
}

/** Writes the auditor's target, runs its CLI and answers its verdict line and exit code. */
async function audit(runDir: string, target: Record<string, unknown>, built: boolean, out: (line: string) => void): Promise<{ line: string; exitCode: number }> {
  const targetFile = join(runDir, 'audit-target.json');
  writeFileSync(targetFile, JSON.stringify(target, null, 2));
  if (!built) {
    const line = `auditor: not built (${AUDITOR_CLI} is missing; npm run build once tools/auditor exists); target written to ${relative(REPO_ROOT, targetFile)}`;
    out(line);
    return { line, exitCode: EXIT_NO_VERDICT };
  }
  const auditLog = createWriteStream(join(runDir, 'auditor.log'));
  const lines: string[] = [];
  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'tools', 'run-dist.js'), AUDITOR_CLI, '--target', targetFile], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // the verdict is on stdout; "could not audit" on stderr: both are read line by line
    const follow = (stream: NodeJS.ReadableStream) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        auditLog.write(chunk);
        buffered += chunk.toString('utf8');
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const l of parts) {
          lines.push(l);
          out(l);
        }
      });
      stream.on('end', () => {
        if (buffered) {
          lines.push(buffered);
          out(buffered);
        }
      });
    };
    follow(child.stdout);
    follow(child.stderr);
    child.on('close', (code) => resolve(code ?? EXIT_NO_VERDICT));
  });
  auditLog.end();
  const verdicts = lines.filter((l) => l.startsWith('auditor:'));
  const line = verdicts.find((l) => l.startsWith('auditor: OK')) ?? verdicts[verdicts.length - 1] ?? `auditor: exited ${exitCode} without a verdict line (see auditor.log)`;
  return { line, exitCode };
}
