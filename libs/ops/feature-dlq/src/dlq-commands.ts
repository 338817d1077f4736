import { formatDeadLetterRef, parseDeadLetterRef, readDeadLetter, replayOf, type DeadLetter } from '@paystream/ops/domain';
import type { Message } from 'kafkajs';
import { Actors } from '@paystream/shared/audit-log';
import { AuthRefusal, OPERATOR_TOKEN_ENV, type OperatorPrincipal } from '@paystream/shared/auth';
import type { DeadLetterReader, ReadError } from './dead-letter-reader';
import type { ReplayLog } from './replay-log';

/** Messages `dlq list` shows per topic unless --limit says otherwise. */
export const DLQ_LIST_LIMIT_DEFAULT = 20;
/** Replays `dlq replays` shows unless --limit says otherwise. */
export const DLQ_REPLAYS_LIMIT_DEFAULT = 50;
/** The role an operator needs to replay dead letters. */
export const DLQ_REPLAY_ROLE = 'sre';
/** The variable holding the operator token when --token-file does not name a file. */
export const DLQ_OPERATOR_TOKEN_ENV = OPERATOR_TOKEN_ENV;

/** Exit codes: done; a message failed; usage (no token among them); the operator token was refused (nothing replayed). */
export const DLQ_EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

export const DLQ_USAGE = `usage: npm run dlq -- <command>
  list [--topic <topic>.dlq] [--limit N]     the newest dead letters of each DLQ topic (default ${DLQ_LIST_LIMIT_DEFAULT} per topic)
  show <topic>.dlq <partition> <offset>      one dead letter: why, where from, headers and value
  replay <id>... --token-file FILE           publish each again to its original topic (id: <topic>.dlq:<partition>:<offset>),
                                             as the sre operator whose token FILE holds (or ${DLQ_OPERATOR_TOKEN_ENV})
  replay <id>... --dry-run                   what would be published; nothing done, no token needed
  replays [--limit N]                        the replays recorded, newest first
Exit: 0 done, 1 a message failed, 2 usage, 3 the operator token was refused (nothing replayed).`;

export interface DlqCommandDeps {
  reader: Pick<DeadLetterReader, 'topics' | 'latest' | 'one'>;
  /** Publishes to a logical topic (the topic prefix is the caller's business). */
  publish: (topic: string, message: Message) => Promise<void>;
  replays: Pick<ReplayLog, 'record' | 'list'>;
  /** The operator token the command line points at: the --token-file's content, else PAYSTREAM_OPERATOR_TOKEN; undefined when neither (throws when the file cannot be read). */
  operatorToken: (tokenFile: string | undefined) => string | undefined;
  /** Authenticates the operator a replay acts for (checkOperatorToken against the registry); throws an AuthRefusal. */
  authenticate: (token: string, role: typeof DLQ_REPLAY_ROLE) => Promise<OperatorPrincipal>;
  out: (line: string) => void;
  err: (line: string) => void;
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(args: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--dry-run') flags.set('dry-run', true);
    else if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      flags.set(name, inline ?? args[++i] ?? '');
    } else positional.push(a);
  }
  return { positional, flags };
}

function describeError(e: ReadError): string {
  switch (e.code) {
    case 'DLQ_REF_INVALID':
      return `${e.code} ${e.ref}: ${e.reason}`;
    case 'DLQ_HEADERS_MISSING':
      return `${e.code} ${e.ref}: no ${e.missing.join(', ')}`;
    case 'DLQ_ORIGIN_INVALID':
      return `${e.code} ${e.ref}: original topic ${JSON.stringify(e.originalTopic)}: ${e.reason}`;
    default:
      return `${e.code} ${e.ref}`;
  }
}

/** Runs one `dlq` command; returns the process exit code (0 done, 1 a message failed, 2 usage). */
export async function runDlqCommand(argv: readonly string[], deps: DlqCommandDeps): Promise<number> {
  const [command, ...rest] = argv;
  const { positional, flags } = parseArgs(rest);
  const limitFlag = flags.get('limit');
  const limit = typeof limitFlag === 'string' ? Number(limitFlag) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    deps.err(`--limit must be a positive integer, not ${JSON.stringify(limitFlag)}`);
    return 2;
  }
  switch (command) {
    case 'list': {
      const topicFlag = flags.get('topic');
      const topics = typeof topicFlag === 'string' ? [topicFlag.endsWith('.dlq') ? topicFlag : `${topicFlag}.dlq`] : await deps.reader.topics();
      const messages = await deps.reader.latest(topics, limit ?? DLQ_LIST_LIMIT_DEFAULT);
      for (const m of messages) {
        const dl = readDeadLetter(m.ref, m);
        const id = formatDeadLetterRef(m.ref);
        if (!dl.ok) deps.out(`${id}  (${dl.error.code === 'DLQ_HEADERS_MISSING' ? 'no DLQ headers: not dead-lettered by a Paystream consumer' : describeError(dl.error)})`);
        else deps.out(`${id}  ${dl.value.deadLetteredAt}  ${dl.value.consumer}  event=${dl.value.eventId ?? '-'}  ${oneLine(dl.value.reason, 120)}`);
      }
      deps.out(`${messages.length} dead letter(s) in ${topics.length} topic(s)`);
      return 0;
    }
    case 'show': {
      const [topic, partition, offset] = positional;
      const ref = parseDeadLetterRef(`${topic}:${partition}:${offset}`);
      if (!ref.ok) return fail(deps, describeError(ref.error), 2);
      const dl = await deps.reader.one(ref.value);
      if (!dl.ok) return fail(deps, describeError(dl.error), 1);
      deps.out(JSON.stringify(show(dl.value), null, 2));
      return 0;
    }
    case 'replay': {
      if (positional.length === 0) return fail(deps, 'replay needs at least one id (<topic>.dlq:<partition>:<offset>)', 2);
      const dryRun = flags.get('dry-run') === true;
      if (flags.has('by')) return fail(deps, `--by is gone: a replay acts as the operator whose token it presents (--token-file FILE or ${DLQ_OPERATOR_TOKEN_ENV}), not a name anyone can type`, DLQ_EXIT.usage);
      // who replays is an authenticated sre operator, checked before anything is read or published
      const operator = dryRun ? undefined : await authenticated(flags, deps);
      if (typeof operator === 'number') return operator;
      let failed = 0;
      for (const id of positional) {
        const ref = parseDeadLetterRef(id);
        const dl = ref.ok ? await deps.reader.one(ref.value) : ref;
        if (!dl.ok) {
          deps.err(describeError(dl.error));
          failed++;
          continue;
        }
        const replay = replayOf(dl.value);
        if (dryRun) {
          deps.out(`would replay ${id} -> ${replay.topic} (event ${dl.value.eventId ?? 'without ce_id'}, key ${replay.key ?? '-'})`);
          continue;
        }
        await deps.publish(replay.topic, { key: replay.key, value: replay.value, headers: replay.headers });
        const recorded = await deps.replays.record(dl.value, Actors.operator(operator!.operatorId), operator!.credentialId);
        deps.out(`replayed ${id} -> ${replay.topic} (event ${dl.value.eventId ?? 'without ce_id'}) as replay #${recorded.id} by operator:${operator!.operatorId}`);
      }
      return failed > 0 ? 1 : 0;
    }
    case 'replays': {
      const records = await deps.replays.list(limit ?? DLQ_REPLAYS_LIMIT_DEFAULT);
      for (const r of records) deps.out(`#${r.id}  ${r.replayedAt}  ${r.replayedBy}  ${r.dlqRef} -> ${r.originalTopic}  event=${r.eventId ?? '-'}`);
      deps.out(`${records.length} replay(s)`);
      return 0;
    }
    default:
      deps.err(DLQ_USAGE);
      return 2;
  }
}

/** The sre operator the token (--token-file, else PAYSTREAM_OPERATOR_TOKEN) authenticates, or the exit code of the refusal. */
async function authenticated(flags: Map<string, string | true>, deps: DlqCommandDeps): Promise<OperatorPrincipal | number> {
  const tokenFile = flags.get('token-file');
  if (tokenFile === true || tokenFile === '') return fail(deps, '--token-file needs a file', DLQ_EXIT.usage);
  let token: string | undefined;
  try {
    token = deps.operatorToken(tokenFile);
  } catch (error) {
    return fail(deps, `--token-file ${tokenFile}: ${(error as Error).message}`, DLQ_EXIT.usage);
  }
  if (token === undefined) return fail(deps, `replay needs the token of an operator with the ${DLQ_REPLAY_ROLE} role: --token-file FILE or ${DLQ_OPERATOR_TOKEN_ENV} (an admin issues one: npm run admin -- operator create --id ID --roles ${DLQ_REPLAY_ROLE} --token-file ADMIN_TOKEN_FILE)`, DLQ_EXIT.usage);
  try {
    return await deps.authenticate(token, DLQ_REPLAY_ROLE);
  } catch (error) {
    if (!(error instanceof AuthRefusal)) throw error;
    return fail(deps, `${error.code} (${error.reason}): the operator token was refused${error.detail && error.detail !== error.reason ? `: ${error.detail}` : ''}; nothing replayed`, DLQ_EXIT.refused);
  }
}

function fail(deps: DlqCommandDeps, message: string, code: number): number {
  deps.err(message);
  return code;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function show(dl: DeadLetter) {
  const text = dl.value?.toString('utf8') ?? null;
  let value: unknown = text;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch {
    // a malformed value is shown as the text it is
  }
  return {
    id: formatDeadLetterRef(dl.ref),
    reason: dl.reason,
    consumer: dl.consumer,
    deadLetteredAt: dl.deadLetteredAt,
    original: { topic: dl.originalTopic, partition: dl.originalPartition, offset: dl.originalOffset },
    eventId: dl.eventId ?? null,
    key: dl.key,
    headers: dl.headers,
    value,
  };
}
