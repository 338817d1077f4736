import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { describeIssues } from '@paystream/contracts';
import { MERCHANT_MIGRATIONS } from '@paystream/merchant/data-access';
import { CredentialIssuer, KEY_ROTATION_OVERLAP_MS_DEFAULT, MerchantRegistry, merchantJson, registerBodySchema } from '@paystream/merchant/feature-registry';
import { OPERATOR_ROLES, type OperatorRole } from '@paystream/contracts';
import { AUTH_MIGRATIONS, AuthRefusal, checkOperatorToken, OPERATOR_TOKEN_ENV, presentedOperatorToken, RegistryCredentials, type OperatorPrincipal } from '@paystream/shared/auth';
import { Actors, AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';
import { Outbox, OUTBOX_INBOX_MIGRATIONS, outboxNotifyChannel } from '@paystream/shared/outbox';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { ApiError, IDEMPOTENT_REQUEST_MIGRATIONS, type PlatformConfig } from '@paystream/shared/platform';

/**
 * Exit codes: done; refused (a stable code printed); usage (no operator token among them) or the
 * database could not be reached; the operator token was refused (nothing changed).
 */
export const ADMIN_EXIT = { ok: 0, refused: 1, usage: 2, tokenRefused: 3 } as const;

/**
 * The actor of the one change the CLI makes without an operator token: the first admin operator
 * (scripts/setup.sh), while the registry holds no usable admin token.
 */
export const ADMIN_SETUP_ACTOR = 'system:setup';
/**
 * The actor of `operator create --roles admin --break-glass`: an admin made without any operator's
 * token although admins exist (their tokens are lost, or belong to another checkout's setup). The CLI
 * writes the registry's database directly, so whoever runs it could write the rows anyway; the flag
 * makes that visible instead, as its own actor in the audit chain.
 */
export const ADMIN_BREAK_GLASS_ACTOR = 'system:break-glass';

/** The roles the operator of the token needs, as the registry's routes ask them: onboarding is finance's, credentials are admin's. */
export const ADMIN_ROLES = {
  onboard: ['finance'],
  onboardWithKey: ['finance', 'admin'],
  credentials: ['admin'],
} as const satisfies Record<string, readonly OperatorRole[]>;

const TOKEN_FLAGS = `--token-file FILE or ${OPERATOR_TOKEN_ENV}`;

export const ADMIN_USAGE = `usage: npm run admin -- <area> <command> [options] [--token-file FILE]
  merchant onboard   --merchant-id ID --legal-name NAME --contact-name NAME --contact-email EMAIL [--contact-phone PHONE]
                     --schedule realtime|t_plus_n [--n-days N] [--cutoff HH:mm] --fee-bps N [--fee-fixed-minor N]
                     [--fee-min-minor N] [--fee-max-minor N] [--payout-min-minor N] [--reserve-bps N] [--reserve-hold-days N]
                     --bank-code CNAPS12 --account-no DIGITS --account-name NAME
                     [--idempotency-key KEY]                                  (finance)
  merchant onboard   --json '<the body of POST /merchants>' [--idempotency-key KEY]
                     [--with-key [--mode live|test]]   also issues its API key (secret printed once; finance and admin)
  merchant show ID
  merchant list [--status active|suspended|closed]
  operator create    --id ID --roles finance,risk,sre,admin   prints the token ONCE        (admin)
  operator create    --id ID --roles admin --break-glass   an admin without any token although admins exist
                     (their tokens lost): audited as system:break-glass
  operator revoke    --id ID                  disables it and revokes its tokens         (admin)
  key create         --merchant ID --mode live|test   prints the secret ONCE             (admin)
  key rotate         --key KEY_ID [--overlap 24h]   a new key; the old one expires after the overlap (admin)
  key revoke         --key KEY_ID                                                       (admin)
  service-token create --service NAME  (settlement, monitoring, ...) prints the token ONCE (admin)
Every change acts as the operator whose token it presents (${TOKEN_FLAGS}; the token as
\`operator create\` printed it), which needs the role in brackets; [--operator ID], if given, must
name that operator. The one change made without a token is the first admin operator
(operator create --roles admin, as system:setup), and only while the registry holds no usable
admin token (scripts/setup.sh). Reads (show, list) need no token.
Works on the merchant database directly (MERCHANT_DATABASE_URL: its runtime role; migrations as
MERCHANT_MIGRATION_DATABASE_URL, the schema's owner; DB_SCHEMA): each change with its
events (outbox) and audit row in one transaction; the merchant service publishes the events.
Without --idempotency-key an onboarding is keyed admin:onboard:<merchant id>, so a script run twice
onboards once (the same body answers the first result; another body is IDEMPOTENCY_KEY_REUSED).
Exit: 0 done, 1 refused (REFUSED <CODE>), 2 usage (no token among them), 3 the operator token was refused.`;

export interface AdminIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What the CLI needs from outside: the merchant database, the operator token presented and the clock. */
export interface AdminDeps extends AdminIo {
  openDb: () => Promise<DataSource>;
  /** The --token-file's content, else PAYSTREAM_OPERATOR_TOKEN; undefined when neither (throws when the file cannot be read). */
  operatorToken: (tokenFile: string | undefined) => string | undefined;
  outbox: Outbox;
  /** CREDENTIAL_PEPPER: the secrets of issued credentials derive from it. */
  pepper: Buffer;
  now: () => Date;
}

/** `npm run admin -- ...` against a service configuration (the merchant service's variables); `env` gives PAYSTREAM_OPERATOR_TOKEN. */
export async function adminMain(argv: readonly string[], config: PlatformConfig, io: AdminIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  let ds: DataSource | undefined;
  try {
    return await runAdminCommand(argv, {
      ...io,
      openDb: async () =>
        (ds ??= await openDatabase({
          // its changes as the registry's runtime role (MERCHANT_DATABASE_URL), its migrations as the schema's owner
          // (MERCHANT_MIGRATION_DATABASE_URL), as the merchant service runs them; scripts/with-db-roles.sh sets both
          url: config.databaseUrl,
          migrationUrl: config.migrationDatabaseUrl,
          schema: config.dbSchema,
          // the same migrations the service runs, so a script may onboard before the service first started
          migrations: [...OUTBOX_INBOX_MIGRATIONS, ...AUDIT_LOG_MIGRATIONS, ...AUTH_MIGRATIONS, ...IDEMPOTENT_REQUEST_MIGRATIONS, ...MERCHANT_MIGRATIONS],
          poolSize: 2,
          applicationName: 'paystream-admin',
          timeouts: config.database.timeouts,
          connectTimeoutMs: config.database.connectTimeoutMs,
        })),
      operatorToken: (tokenFile) => presentedOperatorToken(tokenFile, env),
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
  'token-file': { type: 'string' },
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
  const acting = await actingAs(deps, 'merchant onboard', values, withKey ? ADMIN_ROLES.onboardWithKey : ADMIN_ROLES.onboard, false);
  if (typeof acting === 'number') return acting;
  const actor = acting.actor;
  const body = registerBodySchema.safeParse(raw);
  if (!body.success) {
    const accountIssue = body.error.issues.some((i) => i.path.includes('payoutAccount'));
    deps.err(`admin: REFUSED ${accountIssue ? 'MERCHANT_PAYOUT_ACCOUNT_INVALID' : 'VALIDATION_FAILED'} ${describeIssues(body.error.issues, '(body)')}`);
    return ADMIN_EXIT.refused;
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

/** Who a change acts as: the operator whose token it presents, or system:setup creating the first admin. */
type Acting = { kind: 'operator'; actor: string } | { kind: 'setup'; actor: typeof ADMIN_SETUP_ACTOR } | { kind: 'break-glass'; actor: typeof ADMIN_BREAK_GLASS_ACTOR };

/** Refuses, inside its transaction, a change that needed an operator token after all (the first admin exists). */
class NeedsOperatorToken extends Error {}

const FIRST_ADMIN_HINT = `only the first admin operator is created without one: npm run admin -- operator create --id ID --roles admin`;

/**
 * The operator a change acts as: the one whose token is presented (--token-file, else
 * PAYSTREAM_OPERATOR_TOKEN), checked against the registry like the DLQ CLI checks it (an operator
 * token, usable now, whose secret hashes to the stored one, with every role the change needs); a
 * typed --operator must name it. Without a token only the setup bootstrap (`setupAllowed`) acts, as
 * system:setup; anything else, or a typed --operator, is a usage error. The exit code otherwise.
 */
async function actingAs(
  deps: AdminDeps,
  what: string,
  flags: { operator?: string; 'token-file'?: string },
  roles: readonly OperatorRole[],
  setupAllowed: boolean,
): Promise<Acting | number> {
  let token: string | undefined;
  try {
    token = deps.operatorToken(flags['token-file']);
  } catch (error) {
    return usage(deps, `--token-file ${flags['token-file']}: ${(error as Error).message}`);
  }
  if (token === undefined) {
    if (flags.operator !== undefined) {
      return usage(deps, `--operator ${flags.operator} needs that operator's token (${TOKEN_FLAGS}): a change acts as the operator whose token it presents, not a name anyone can type`);
    }
    if (setupAllowed) return { kind: 'setup', actor: ADMIN_SETUP_ACTOR };
    return usage(deps, `${what} needs the token of an operator with the ${roles.join(' and ')} role: ${TOKEN_FLAGS}; ${FIRST_ADMIN_HINT}`);
  }
  let operator: OperatorPrincipal;
  try {
    operator = await checkOperatorToken(token, roles, new RegistryCredentials(await deps.openDb()), deps.now());
    if (flags.operator !== undefined && flags.operator !== operator.operatorId) throw new AuthRefusal('forbidden', `--operator ${flags.operator} is not the operator of the token (${operator.operatorId})`);
  } catch (error) {
    if (!(error instanceof AuthRefusal)) throw error;
    deps.err(`admin: REFUSED ${error.code} (${error.reason}): the operator token was refused${error.detail && error.detail !== error.reason ? `: ${error.detail}` : ''}; nothing changed`);
    return ADMIN_EXIT.tokenRefused;
  }
  return { kind: 'operator', actor: Actors.format(Actors.operator(operator.operatorId)) };
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
    if (error instanceof NeedsOperatorToken) return usage(deps, error.message);
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
    v = parseArgs({ args: [...args], options: { id: { type: 'string' }, roles: { type: 'string' }, operator: { type: 'string' }, 'token-file': { type: 'string' }, name: { type: 'string' }, 'break-glass': { type: 'boolean' } }, strict: true }).values as Record<string, string | undefined>;
  } catch (error) {
    return usage(deps, (error as Error).message);
  }
  if (!v.id) return usage(deps, '--id is required');
  if (command === 'revoke') {
    const acting = await actingAs(deps, 'operator revoke', v, ADMIN_ROLES.credentials, false);
    if (typeof acting === 'number') return acting;
    return credentialChange(deps, async (issuer, tx) => ({ operatorId: v.id, revoked: await issuer.revokeOperator(tx, v.id!, acting.actor) }), false);
  }
  const roles = (v.roles ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '') as OperatorRole[];
  if (roles.length === 0 || roles.some((r) => !OPERATOR_ROLES.includes(r))) return usage(deps, `--roles: one or more of ${OPERATOR_ROLES.join(',')}`);
  const breakGlass = (v['break-glass'] as unknown) === true;
  if (breakGlass && (!roles.includes('admin') || v['token-file'] !== undefined || v.operator !== undefined)) {
    return usage(deps, '--break-glass creates an admin operator without any token: with --roles including admin, and neither --token-file nor --operator');
  }
  if (breakGlass) deps.err(`admin: BREAK GLASS: creating admin operator ${v.id} without an operator's token, recorded as ${ADMIN_BREAK_GLASS_ACTOR} in the audit log`);
  // without a token, an admin operator may be created as the setup bootstrap (createFirstAdmin says whether it is the first)
  const acting: Acting | number = breakGlass
    ? { kind: 'break-glass', actor: ADMIN_BREAK_GLASS_ACTOR }
    : await actingAs(deps, 'operator create', v, ADMIN_ROLES.credentials, roles.includes('admin'));
  if (typeof acting === 'number') return acting;
  return credentialChange(
    deps,
    async (issuer, tx) => {
      const c = acting.kind === 'setup' ? await issuer.createFirstAdmin(tx, v.id!, roles, acting.actor, v.name) : await issuer.createOperator(tx, v.id!, roles, acting.actor, v.name);
      if (!c) throw new NeedsOperatorToken(`an admin operator exists: operator create needs the token of an operator with the admin role: ${TOKEN_FLAGS} (tokens lost: --break-glass, audited as ${ADMIN_BREAK_GLASS_ACTOR})`);
      return { operatorId: c.principalId, roles: c.roles, credentialId: c.credentialId, token: c.token };
    },
    true,
  );
}

async function keyCommand(command: 'create' | 'rotate' | 'revoke', args: readonly string[], deps: AdminDeps): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({
      args: [...args],
      options: { merchant: { type: 'string' }, mode: { type: 'string' }, key: { type: 'string' }, overlap: { type: 'string' }, operator: { type: 'string' }, 'token-file': { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    return usage(deps, (error as Error).message);
  }
  if (command === 'create' && (!v.merchant || (v.mode !== 'live' && v.mode !== 'test'))) return usage(deps, '--merchant and --mode live|test are required');
  if (command !== 'create' && !v.key) return usage(deps, '--key is required');
  const overlapMs = v.overlap === undefined ? KEY_ROTATION_OVERLAP_MS_DEFAULT : parseDurationMs(v.overlap);
  if (overlapMs === undefined) return usage(deps, '--overlap: a duration such as 24h, 30m, 90s');
  const acting = await actingAs(deps, `key ${command}`, v, ADMIN_ROLES.credentials, false);
  if (typeof acting === 'number') return acting;
  const actor = acting.actor;
  if (command === 'create') {
    return credentialChange(
      deps,
      async (issuer, tx) => {
        const c = await issuer.createKey(tx, v.merchant!, v.mode as 'live' | 'test', actor);
        return { merchantId: c.principalId, keyId: c.credentialId, secret: c.secret, mode: c.mode };
      },
      true,
    );
  }
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
    v = parseArgs({ args: [...args], options: { service: { type: 'string' }, operator: { type: 'string' }, 'token-file': { type: 'string' } }, strict: true }).values;
  } catch (error) {
    return usage(deps, (error as Error).message);
  }
  if (!v.service) return usage(deps, '--service is required');
  const acting = await actingAs(deps, 'service-token create', v, ADMIN_ROLES.credentials, false);
  if (typeof acting === 'number') return acting;
  const actor = acting.actor;
  return credentialChange(
    deps,
    async (issuer, tx) => {
      const c = await issuer.createServiceToken(tx, v.service!, actor);
      return { service: c.principalId, credentialId: c.credentialId, token: c.token };
    },
    true,
  );
}
