// The independent money auditor: `npm run audit -- --target <file.json>` (see the README, Operations).
// Exit 0: OK; 1: violations; 2: could not audit (a bad target, a database, Kafka or the emulator unreachable).
import { parseArgs } from 'node:util';
import { audit } from './audit';
import { readAuditTarget } from './audit-target';

export const AUDIT_EXIT = { ok: 0, violations: 1, couldNotAudit: 2 } as const;

async function main(): Promise<number> {
  let target;
  try {
    const { values } = parseArgs({ options: { target: { type: 'string' } }, strict: true });
    if (!values.target) throw new Error('usage: audit-cli --target <target.json>');
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

void main().then((code) => process.exit(code));
