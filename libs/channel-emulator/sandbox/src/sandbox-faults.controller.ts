import { Body, Controller, Delete, Get, HttpCode, Inject, Put, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import type { Logger } from '@paystream/shared/observability';
import { EMULATOR_LOGGER } from './emulator-tokens';
import { parseFaultSet, SandboxFaults } from './fault-plan';

/** The chaos runner's fault control: which faults the channels and the bank inject, and how often they did. */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('sandbox/faults')
export class SandboxFaultsController {
  constructor(
    @Inject(SandboxFaults) private readonly faults: SandboxFaults,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  /** `{ seed, faults, applied: { "<kind>:<target>": count } }`. */
  @Get()
  current() {
    return this.faults.snapshot();
  }

  /** Replaces the fault set (its counters start afresh); 400 FAULT_SET_INVALID names what is wrong. */
  @Put()
  @HttpCode(200)
  replace(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const set = parseFaultSet(body);
    if (!set.ok) {
      void reply.status(400);
      return { status: 'ERROR', ...set.error };
    }
    this.faults.replace(set.value);
    this.logger.warn({ seed: set.value.seed, faults: set.value.faults.map((f) => `${f.kind}:${f.targets.join(',')}@${f.probability}`) }, 'faults put in force');
    return this.faults.snapshot();
  }

  /** Clears the faults: normal behaviour again; the last set's seed and counters stay readable. */
  @Delete()
  @HttpCode(200)
  clear() {
    this.faults.clear();
    this.logger.warn('faults cleared');
    return this.faults.snapshot();
  }
}
