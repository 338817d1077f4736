import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { describeIssues } from '@paystream/contracts';
import { MERCHANT_MIGRATIONS } from '@paystream/merchant/data-access';
import { MerchantRegistry, merchantJson, registerBodySchema } from '@paystream/merchant/feature-registry';
import { Actors, AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { Outbox, OUTBOX_INBOX_MIGRATIONS, outboxNotifyChannel } from '@paystream/shared/outbox';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { ApiError, type PlatformConfig } from '@paystream/shared/platform';

/** Exit codes: done; refused (a stable code printed); usage or the database could not be reached. */
export const ADMIN_EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** The actor of CLI changes made without --operator (setup scripts). */
export const ADMIN_SETUP_ACTOR = 'system:setup';

export const ADMIN_USAGE = `usage: npm run admin -- <area> <command> [options]
  merchant onboard   --merchant-id ID --legal-name NAME --contact-name NAME --contact-email EMAIL [--contact-phone PHONE]
                     --schedule realtime|t_plus_n [--n-days N] [--cutoff HH:mm] --fee-bps N [--fee-fixed-minor N]
                     [--fee-min-minor N] [--fee-max-minor N] [--payout-min-minor N] [--reserve-bps N] [--reserve-hold-days N]
                     --bank-code CNAPS12 --account-no DIGITS --account-name NAME
                     [--operator ID] [--idempotency-key KEY]
  merchant onboard   --json '<the body of POST /merchants>' [--operator ID] [--idempotency-key KEY]
  merchant show ID
  merchant list [--status active|suspended|closed]
Works on the merchant database directly (MERCHANT_DATABASE_URL, DB_SCHEMA): each change with its
events (outbox) and audit row in one transaction; the merchant service publishes the events.
Without --idempotency-key an onboarding is keyed admin:onboard:<merchant id>, so a script run twice
onboards once (the same body answers the first result; another body is IDEMPOTENCY_KEY_REUSED).`;

export interface AdminIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What the CLI needs from outside: the merchant database and the clock. */
export interface AdminDeps extends AdminIo {
  openDb: () => Promise<DataSource>;
  outbox: Outbox;
  now: () => Date;
}

/** `npm run admin -- ...` against a service configuration (the merchant service's variables). */
export async function adminMain(argv: readonly string[], config: PlatformConfig, io: AdminIo): Promise<number> {
  let ds: DataSource | undefined;
  try {
    return await runAdminCommand(argv, {
      ...io,
      openDb: async () =>
        (ds ??= await openDatabase({
          url: config.databaseUrl,
          schema: config.dbSchema,
          // the same migrations the service runs, so a script may onboard before the service first started
          migrations: [...OUTBOX_INBOX_MIGRATIONS, ...AUDIT_LOG_MIGRATIONS, ...MERCHANT_MIGRATIONS],
          poolSize: 2,
          applicationName: 'paystream-admin',
        })),
      outbox: new Outbox('/paystream/merchant', outboxNotifyChannel(config.dbSchema)),
      now: () => new Date(),
    });
  } finally {
    if (ds?.isInitialized) await ds.destroy();
  }
}

/** Runs one admin command; the exit code (ADMIN_EXIT). */
export async function runAdminCommand(argv: readonly string[], deps: AdminDeps): Promise<number> {
  const [area, command, ...rest] = argv;
  if (area === 'merchant' && command === 'onboard') return onboard(rest, deps);
  if (area === 'merchant' && command === 'show') return show(rest, deps);
  if (area === 'merchant' && command === 'list') return list(rest, deps);
  deps.err(ADMIN_USAGE);
  return ADMIN_EXIT.usage;
}

const ONBOARD_OPTIONS = {
  json: { type: 'string' },
  'merchant-id': { type: 'string' },
  'legal-name': { type: 'string' },
  'contact-name': { type: 'string' },
  'contact-email': { type: 'string' },
  'contact-phone': { type: 'string' },
  schedule: { type: 'string' },
  'n-days': { type: 'string' },
  cutoff: { type: 'string' },
  'fee-bps': { type: 'string' },
  'fee-fixed-minor': { type: 'string' },
  'fee-min-minor': { type: 'string' },
  'fee-max-minor': { type: 'string' },
  'payout-min-minor': { type: 'string' },
  'reserve-bps': { type: 'string' },
  'reserve-hold-days': { type: 'string' },
  'bank-code': { type: 'string' },
  'account-no': { type: 'string' },
  'account-name': { type: 'string' },
  operator: { type: 'string' },
  'idempotency-key': { type: 'string' },
} as const;

const int = (v: string | undefined) => (v === undefined ? undefined : /^-?\d+$/.test(v) ? Number(v) : v);

/** The POST /merchants body the flags describe (validated by the same schema as the API). */
function onboardBody(v: Record<string, string | undefined>): unknown {
  if (v.json !== undefined) return JSON.parse(v.json);
  const clean = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
  return {
    merchantId: v['merchant-id'],
    legalName: v['legal-name'],
    contact: clean({ name: v['contact-name'], email: v['contact-email'], phone: v['contact-phone'] }),
    terms: clean({
      schedule: v.schedule,
      nDays: int(v['n-days']),
      cutoffTime: v.cutoff,
      payoutMinMinor: v['payout-min-minor'],
      reserveBps: int(v['reserve-bps']),
      reserveHoldDays: int(v['reserve-hold-days']),
      feePlan: clean({ rateBps: int(v['fee-bps']), fixedMinor: v['fee-fixed-minor'], minMinor: v['fee-min-minor'], maxMinor: v['fee-max-minor'] }),
      payoutAccount: clean({ bankCode: v['bank-code'], accountNo: v['account-no'], accountName: v['account-name'] }),
    }),
  };
}

async function onboard(args: readonly string[], deps: AdminDeps): Promise<number> {
  let values: Record<string, string | undefined>;
  let raw: unknown;
  try {
    values = parseArgs({ args: [...args], options: ONBOARD_OPTIONS, strict: true }).values as Record<string, string | undefined>;
    raw = onboardBody(values);
  } catch (error) {
    deps.err(`admin: ${(error as Error).message}\n${ADMIN_USAGE}`);
    return ADMIN_EXIT.usage;
  }
  const body = registerBodySchema.safeParse(raw);
  if (!body.success) {
    const accountIssue = body.error.issues.some((i) => i.path.includes('payoutAccount'));
    deps.err(`admin: REFUSED ${accountIssue ? 'MERCHANT_PAYOUT_ACCOUNT_INVALID' : 'VALIDATION_FAILED'} ${describeIssues(body.error.issues, '(body)')}`);
    return ADMIN_EXIT.refused;
  }
  let actor: string;
  try {
    actor = values.operator === undefined ? ADMIN_SETUP_ACTOR : Actors.format(Actors.operator(values.operator));
  } catch (error) {
    deps.err(`admin: ${(error as Error).message}`);
    return ADMIN_EXIT.usage;
  }
  const key = values['idempotency-key'] ?? `admin:onboard:${body.data.merchantId}`;
  const ds = await deps.openDb();
  const registry = new MerchantRegistry(deps.outbox, { coolingOffMs: 0, now: deps.now });
  try {
    const written = await inTransaction(ds, (tx) => registry.register(tx, key, body.data, actor));
    deps.out(JSON.stringify({ ...written.result, replayed: written.replayed }));
    return ADMIN_EXIT.ok;
  } catch (error) {
    if (error instanceof ApiError) {
      deps.err(`admin: REFUSED ${error.code} ${error.message}`);
      return ADMIN_EXIT.refused;
    }
    throw error;
  }
}

async function show(args: readonly string[], deps: AdminDeps): Promise<number> {
  const [merchantId] = args;
  if (!merchantId) {
    deps.err(ADMIN_USAGE);
    return ADMIN_EXIT.usage;
  }
  const ds = await deps.openDb();
  try {
    deps.out(JSON.stringify(merchantJson(await new MerchantRegistry(deps.outbox, { coolingOffMs: 0, now: deps.now }).get(ds.manager, merchantId))));
    return ADMIN_EXIT.ok;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    deps.err(`admin: REFUSED ${error.code} ${error.message}`);
    return ADMIN_EXIT.refused;
  }
}

async function list(args: readonly string[], deps: AdminDeps): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { status: { type: 'string' } }, strict: true });
  const status = values.status as 'active' | 'suspended' | 'closed' | undefined;
  if (status !== undefined && !['active', 'suspended', 'closed'].includes(status)) {
    deps.err(ADMIN_USAGE);
    return ADMIN_EXIT.usage;
  }
  const ds = await deps.openDb();
  const merchants = await new MerchantRegistry(deps.outbox, { coolingOffMs: 0, now: deps.now }).list(ds.manager, { status, limit: 500 });
  for (const m of merchants) deps.out(`${m.merchantId}\t${m.status}\tv${m.version}\t${m.terms.schedule}${m.terms.schedule === 't_plus_n' ? `+${m.terms.nDays}` : ''}\t${m.legalName}`);
  return ADMIN_EXIT.ok;
}
