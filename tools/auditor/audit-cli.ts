// `npm run audit -- <command>` (see the README, Operations):
//   verify [--target f.json] [--service NAME]...  walks every service's hash-chained audit log
//   money --target f.json                        the independent money auditor
//   --target f.json                              the money auditor, as before subcommands (kept for its callers)
// Exit 0: OK; 1: violations / a broken chain; 2: could not audit (bad arguments, a database unreachable, ...).
import { parseArgs } from 'node:util';
import { loadDatabaseLimits, loadServiceDatabases, type DatabaseLimits } from '@paystream/shared/platform';
import { audit } from './audit';
import { readAuditTarget } from './audit-target';
import { verifyChains, type ChainDatabase } from './verify-chains';

export const AUDIT_EXIT = { ok: 0, violations: 1, couldNotAudit: 2 } as const;

const USAGE = `usage: audit-cli verify [--target <target.json>] [--service <name>]... | money --target <target.json> | --target <target.json>`;

async function money(args: string[]): Promise<number> {
  let target;
  try {
    const { values } = parseArgs({ args, options: { target: { type: 'string' } }, strict: true });
    if (!values.target) throw new Error(USAGE);
    target = readAuditTarget(values.target);
  } catch (error) {
    console.error(`auditor: COULD NOT AUDIT ${(error as Error).message}`);
    return AUDIT_EXIT.couldNotAudit;
  }
  try {
    const report = await audit(target);
    for (const line of report.lines) console.log(line);
    return report.ok ? AUDIT_EXIT.ok : AUDIT_EXIT.violations;
  } catch (error) {
    console.error(`auditor: COULD NOT AUDIT ${(error as Error).message}`);
    return AUDIT_EXIT.couldNotAudit;
  }
}

async function verify(args: string[]): Promise<number> {
  let databases: ChainDatabase[];
  let limits: DatabaseLimits;
  try {
    limits = loadDatabaseLimits('audit');
    const { values } = parseArgs({ args, options: { target: { type: 'string' }, service: { type: 'string', multiple: true } }, strict: true });
    // the services' own configuration by default; a target file names the databases of a stack elsewhere (the chaos runner's)
    if (values.target) {
      const target = readAuditTarget(values.target);
      databases = Object.entries(target.databases).map(([service, url]) => ({ service, url, schema: target.schema ?? 'public' }));
    } else databases = loadServiceDatabases();
    if (values.service?.length) {
      const unknown = values.service.filter((s) => !databases.some((d) => d.service === s));
      if (unknown.length) throw new Error(`no database for ${unknown.join(', ')} (services: ${databases.map((d) => d.service).join(', ')})`);
      databases = databases.filter((d) => values.service!.includes(d.service));
    }
  } catch (error) {
    console.error(`audit-chain: COULD NOT VERIFY ${(error as Error).message}`);
    return AUDIT_EXIT.couldNotAudit;
  }
  return verifyChains(databases, (line) => console.log(line), limits);
}

function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'verify') return verify(rest);
  if (command === 'money') return money(rest);
  if (command === undefined || command.startsWith('--')) return money(argv);
  console.error(USAGE);
  return Promise.resolve(AUDIT_EXIT.couldNotAudit);
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
