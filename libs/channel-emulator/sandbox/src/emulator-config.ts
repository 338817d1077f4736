import { z } from 'zod';
import { parseConfig } from '@paystream/shared/platform';

export interface EmulatorConfig {
  host: string;
  port: number;
  /** How long a `..52` charge holds its answer, so the caller times out (ms). */
  holdMs: number;
  logLevel: string;
}

/** The emulator's environment, validated: it refuses to start on a bad value. */
export function loadEmulatorConfig(env: Record<string, string | undefined> = process.env): EmulatorConfig {
  const c = parseConfig(
    'channel-emulator',
    z.object({
      HOST: z.string().min(1).default('127.0.0.1'),
      CHANNEL_EMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
      CHANNEL_EMULATOR_HOLD_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    }),
    env,
  );
  return { host: c.HOST, port: c.CHANNEL_EMULATOR_PORT, holdMs: c.CHANNEL_EMULATOR_HOLD_MS, logLevel: c.LOG_LEVEL };
}
