import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { storableText } from '@paystream/contracts';
import type { IdentityVerifier, VerificationOutcome, VerificationRequest } from '@paystream/risk/domain';
import { callJson, HttpCallError } from '@paystream/shared/platform';

/** The provider's path for a four-element check. */
export const IDENTITY_VERIFY_PATH = '/provider/identity/verify';

const matchSchema = z.enum(['match', 'mismatch']);
/** The provider's answer. */
export const answerSchema = z.object({
  requestId: storableText().min(1),
  result: z.object({ name: matchSchema, residentId: matchSchema, phone: matchSchema, bankCard: matchSchema }),
});

/**
 * The verification provider over HTTP (the channel emulator plays it). It is sent the four elements
 * and nothing else; any answer that is not a well-formed 200 counts as `unavailable`, so the caller
 * decides what an unverifiable identity means instead of guessing a level.
 */
export class HttpIdentityVerifier implements IdentityVerifier {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async verify(request: VerificationRequest): Promise<VerificationOutcome> {
    const url = `${this.baseUrl}${IDENTITY_VERIFY_PATH}`;
    let answer: Awaited<ReturnType<typeof callJson>>;
    try {
      answer = await callJson(url, {
        method: 'POST',
        timeoutMs: this.timeoutMs,
        headers: { 'x-request-id': randomUUID() },
        body: { name: request.name, residentId: request.residentId, phone: request.phone, bankCard: request.bankCard },
      });
    } catch (error) {
      if (error instanceof HttpCallError) return { kind: 'unavailable', reason: `${error.kind}: ${error.message}` };
      throw error;
    }
    if (answer.status !== 200) return { kind: 'unavailable', reason: `provider answered HTTP ${answer.status}` };
    const parsed = answerSchema.safeParse(answer.body);
    if (!parsed.success) return { kind: 'unavailable', reason: 'provider answer is not in the expected shape' };
    const r = parsed.data.result;
    return {
      kind: 'answered',
      providerRef: parsed.data.requestId,
      elements: { name: r.name === 'match', residentId: r.residentId === 'match', phone: r.phone === 'match', bankCard: r.bankCard === 'match' },
    };
  }
}
