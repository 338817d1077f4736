import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The lint rule that keeps services apart really fires (npm test runs eslint over the whole tree). */
describe('module boundaries', () => {
  const root = join(__dirname, '..', '..');
  // the eslint CLI, as npm test runs it (its ESM config cannot load inside Jest's VM)
  const violations = async (file: string, source: string) => {
    const run = spawnSync(join(root, 'node_modules', '.bin', 'eslint'), ['--format', 'json', '--stdin', '--stdin-filename', join(root, file)], {
      cwd: root,
      input: source,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
    return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  };

  it('stops code outside a service from importing that service', async () => {
    expect(await violations('tools/load/x.ts', `import { canTransition } from '@paystream/order-payment/domain';\nexport const x = canTransition;\n`)).toEqual([
      expect.stringContaining('can only depend on libs tagged with "scope:shared"'),
    ]);
  });

  it('stops one service from importing another', async () => {
    expect(await violations('libs/risk/domain/src/x.ts', `import { canTransition } from '@paystream/order-payment/domain';\nexport const x = canTransition;\n`)).toEqual([
      expect.stringContaining('"scope:risk" can only depend on libs tagged with "scope:risk", "scope:shared"'),
    ]);
  });

  it('keeps the channel emulator out of production code but lets integration specs start it', async () => {
    const source = `import { EmulatorModule } from '@paystream/channel-emulator/sandbox';\nexport const x = EmulatorModule;\n`;
    expect(await violations('libs/channel-gateway/feature-charge/src/x.ts', source)).toHaveLength(1);
    expect(await violations('apps/channel-gateway/src/x.integration-spec.ts', source)).toEqual([]);
  });

  it('stops a domain lib from depending on a feature lib', async () => {
    expect(
      await violations('libs/order-payment/domain/src/x.ts', `import { PaymentsModule } from '@paystream/order-payment/feature-payments';\nexport const x = PaymentsModule;\n`),
    ).toHaveLength(1);
  });

  it('lets a service use the contracts and shared libs', async () => {
    expect(
      await violations('libs/order-payment/domain/src/x.ts', `import { TOPICS } from '@paystream/contracts';\nimport { Money } from '@paystream/shared/money';\nexport const x = [TOPICS, Money];\n`),
    ).toEqual([]);
  });
});
