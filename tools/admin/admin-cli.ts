import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { describeIssues } from '@paystream/contracts';
import { MERCHANT_MIGRATIONS } from '@paystream/merchant/data-access';
import { CredentialIssuer, KEY_ROTATION_OVERLAP_MS_DEFAULT, MerchantRegistry, merchantJson, registerBodySchema } from '@paystream/merchant/feature-registry';
import { OPERATOR_ROLES, type OperatorRole } from '@paystream/contracts';
import { AUTH_MIGRATIONS } from '@paystream/shared/auth';
import { Actors, AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { Outbox, OUTBOX_INBOX_MIGRATIONS, outboxNotifyChannel } from '@paystream/shared/outbox';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { ApiError, IDEMPOTENT_REQUEST_MIGRATIONS, type PlatformConfig } from '@paystream/shared/platform';

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
                     [--with-key [--mode live|test]]   also issues its API key (secret printed once)
  merchant show ID
  merchant list [--status active|suspended|closed]
  operator create    --id ID --roles finance,risk,sre,admin [--operator ID]   prints the token ONCE
  operator revoke    --id ID [--operator ID]          disables it and revokes its tokens
  key create         --merchant ID --mode live|test [--operator ID]           prints the secret ONCE
  key rotate         --key KEY_ID [--overlap 24h] [--operator ID]   a new key; the old one expires after the overlap
  key revoke         --key KEY_ID [--operator ID]
  service-token create --service NAME [--operator ID]  (settlement, monitoring, ...) prints the token ONCE
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
  /** CREDENTIAL_PEPPER: the secrets of issued credentials derive from it. */
  pepper: Buffer;
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
          migrations: [...OUTBOX_INBOX_MIGRATIONS, ...AUDIT_LOG_MIGRATIONS, ...AUTH_MIGRATIONS, ...IDEMPOTENT_REQUEST_MIGRATIONS, ...MERCHANT_MIGRATIONS],
          poolSize: 2,
          applicationName: 'paystream-admin',
        })),
      outbox: new Outbox('/paystream/merchant', outboxNotifyChannel(config.dbSchema)),
      pepper: config.credentialPepper,
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
  if (area === 'operator' && (command === 'create' || command === 'revoke')) return operatorCommand(command, rest, deps);
  if (area === 'key' && (command === 'create' || command === 'rotate' || command === 'revoke')) return keyCommand(command, rest, deps);
  if (area === 'service-token' && command === 'create') return serviceTokenCommand(rest, deps);
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
  'with-key': { type: 'boolean' },
  mode: { type: 'string' },
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
  let withKey = false;
  let raw: unknown;
  try {
    const parsedArgs = parseArgs({ args: [...args], options: ONBOARD_OPTIONS, strict: true }).values as Record<string, string | boolean | undefined>;
    withKey = parsedArgs['with-key'] === true;
    delete parsedArgs['with-key'];
    values = parsedArgs as Record<string, string | undefined>;
    if (withKey && values.mode !== undefined && !['live', 'test'].includes(values.mode)) throw new Error('--mode: live or test');
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
    const issued = await inTransaction(ds, async (tx) => {
      const written = await registry.register(tx, key, body.data, actor);
      // with --with-key a first run onboards and issues the key together; a replayed onboarding issues no second key
      const credential = withKey && !written.replayed ? await new CredentialIssuer(deps.outbox, deps.pepper, deps.now).createKey(tx, body.data.merchantId, (values.mode as 'live' | 'test' | undefined) ?? 'live', actor) : undefined;
      return { written, credential };
    });
    deps.out(JSON.stringify({ ...issued.written.result, replayed: issued.written.replayed, ...(issued.credential ? { key: { keyId: issued.credential.credentialId, secret: issued.credential.secret, mode: issued.credential.mode } } : {}) }));
    if (issued.credential) deps.err('admin: the key secret is shown once; keep it now (it is not stored)');
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

/** 24h, 30m, 90s, 2d or milliseconds: the overlap a rotated key keeps working. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function actorArg(operator: string | undefined): string {
  return operator === undefined ? ADMIN_SETUP_ACTOR : Actors.format(Actors.operator(operator));
}

/** Runs a credential change in one transaction; prints its JSON (with a secret: once) or the refusal. */
async function credentialChange(deps: AdminDeps, change: (issuer: CredentialIssuer, tx: Parameters<Parameters<typeof inTransaction>[1]>[0]) => Promise<unknown>, showsSecret: boolean): Promise<number> {
  const ds = await deps.openDb();
  try {
    const result = await inTransaction(ds, (tx) => change(new CredentialIssuer(deps.outbox, deps.pepper, deps.now), tx));
    deps.out(JSON.stringify(result));
    if (showsSecret) deps.err('admin: the secret is shown once; keep it now (it is not stored)');
    return ADMIN_EXIT.ok;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    deps.err(`admin: REFUSED ${error.code} ${error.message}`);
    return ADMIN_EXIT.refused;
  }
}

function usage(deps: AdminDeps, why?: string): number {
  deps.err(why ? `admin: ${why}\n${ADMIN_USAGE}` : ADMIN_USAGE);
  return ADMIN_EXIT.usage;
}

async function operatorCommand(command: 'create' | 'revoke', args: readonly string[], deps: AdminDeps): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({ args: [...args], options: { id: { type: 'string' }, roles: { type: 'string' }, operator: { type: 'string' }, name: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    return usage(deps, (error as Error).message);
  }
  if (!v.id) return usage(deps, '--id is required');
  const actor = actorArg(v.operator);
  if (command === 'revoke') return credentialChange(deps, async (issuer, tx) => ({ operatorId: v.id, revoked: await issuer.revokeOperator(tx, v.id!, actor) }), false);
  const roles = (v.roles ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (roles.length === 0 || roles.some((r) => !(OPERATOR_ROLES as readonly string[]).includes(r))) return usage(deps, `--roles: one or more of ${OPERATOR_ROLES.join(',')}`);
  return credentialChange(
    deps,
    async (issuer, tx) => {
      const c = await issuer.createOperator(tx, v.id!, roles as OperatorRole[], actor, v.name);
      return { operatorId: c.principalId, roles: c.roles, credentialId: c.credentialId, token: c.token };
    },
    true,
  );
}

async function keyCommand(command: 'create' | 'rotate' | 'revoke', args: readonly string[], deps: AdminDeps): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({ args: [...args], options: { merchant: { type: 'string' }, mode: { type: 'string' }, key: { type: 'string' }, overlap: { type: 'string' }, operator: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    return usage(deps, (error as Error).message);
  }
  const actor = actorArg(v.operator);
  if (command === 'create') {
    if (!v.merchant || (v.mode !== 'live' && v.mode !== 'test')) return usage(deps, '--merchant and --mode live|test are required');
    return credentialChange(
      deps,
      async (issuer, tx) => {
        const c = await issuer.createKey(tx, v.merchant!, v.mode as 'live' | 'test', actor);
        return { merchantId: c.principalId, keyId: c.credentialId, secret: c.secret, mode: c.mode };
      },
      true,
    );
  }
  if (!v.key) return usage(deps, '--key is required');
  if (command === 'revoke') {
    return credentialChange(
      deps,
      async (issuer, tx) => {
        await issuer.revokeKey(tx, v.key!, actor);
        return { keyId: v.key, revoked: true };
      },
      false,
    );
  }
  const overlapMs = v.overlap === undefined ? KEY_ROTATION_OVERLAP_MS_DEFAULT : parseDurationMs(v.overlap);
  if (overlapMs === undefined) return usage(deps, '--overlap: a duration such as 24h, 30m, 90s');
  return credentialChange(
    deps,
    async (issuer, tx) => {
      const r = await issuer.rotateKey(tx, v.key!, overlapMs, actor);
      return { merchantId: r.issued.principalId, keyId: r.issued.credentialId, secret: r.issued.secret, mode: r.issued.mode, previous: { keyId: r.old.credentialId, expiresAt: r.old.expiresAt } };
    },
    true,
  );
}

async function serviceTokenCommand(args: readonly string[], deps: AdminDeps): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({ args: [...args], options: { service: { type: 'string' }, operator: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    return usage(deps, (error as Error).message);
  }
  if (!v.service) return usage(deps, '--service is required');
  const actor = actorArg(v.operator);
  return credentialChange(
    deps,
    async (issuer, tx) => {
      const c = await issuer.createServiceToken(tx, v.service!, actor);
      return { service: c.principalId, credentialId: c.credentialId, token: c.token };
    },
    true,
  );
}
