import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '@paystream/contracts';
import type { Logger } from '@paystream/shared/observability';
import { EMULATOR_LOGGER } from './emulator-tokens';

/** Ends a name the sandbox provider finds in no register: every element mismatches (level none). */
export const SANDBOX_IDENTITY_FAKE_NAME_SUFFIX = '假';
/** Ends a phone the sandbox finds registered to someone else: name and ID match, phone and card do not (level basic). */
export const SANDBOX_IDENTITY_PHONE_MISMATCH_SUFFIX = '0000';

const verifySchema = z.object({
  name: z.string().min(1).max(64),
  residentId: z.string().regex(/^[0-9]{17}[0-9X]$/, '18 characters, the last 0-9 or X'),
  phone: z.string().regex(/^\d{11}$/, '11 digits'),
  bankCard: z.string().regex(/^\d{12,19}$/, '12-19 digits'),
});

type Match = 'match' | 'mismatch';

/**
 * A real-name verification provider (四要素核验: name, resident ID, mobile number, bank card) as the
 * sandbox plays it. Sandbox rule, decided from the request alone:
 *   - a name ending in `假` matches nothing (the caller's level: none);
 *   - else a phone ending in `0000` fails the phone / card match, name and ID match (basic);
 *   - else all four elements match (full).
 * It keeps nothing and logs no element in the clear.
 */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('provider/identity')
export class IdentityProviderController {
  constructor(@Inject(EMULATOR_LOGGER) private readonly logger: Logger) {}

  @Post('verify')
  @HttpCode(200)
  verify(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = verifySchema.safeParse(body);
    if (!req.success) {
      void reply.status(400);
      return { code: 'INVALID_REQUEST', message: describeIssues(req.error.issues) };
    }
    const { name, phone } = req.data;
    const fake = name.endsWith(SANDBOX_IDENTITY_FAKE_NAME_SUFFIX);
    const phoneMismatch = phone.endsWith(SANDBOX_IDENTITY_PHONE_MISMATCH_SUFFIX);
    const nameAndId: Match = fake ? 'mismatch' : 'match';
    const phoneAndCard: Match = fake || phoneMismatch ? 'mismatch' : 'match';
    const requestId = `IDV${Date.now()}${randomBytes(4).toString('hex')}`;
    const result = { name: nameAndId, residentId: nameAndId, phone: phoneAndCard, bankCard: phoneAndCard };
    this.logger.info({ requestId, result }, 'identity verified');
    return { requestId, result };
  }
}
