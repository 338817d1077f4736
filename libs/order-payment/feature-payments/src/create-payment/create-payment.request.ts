import { createHash } from 'node:crypto';
import { z } from 'zod';
import { paymentRequestedSchema } from '@paystream/contracts';

/** The body of POST /payments: payment.requested.v1 without the timestamp. */
export const createPaymentBodySchema = paymentRequestedSchema.omit({ requestedAt: true }).strict();
export type CreatePaymentBody = z.infer<typeof createPaymentBodySchema>;

/** A stable hash of the request a key was first used for (keys sorted, so field order does not matter). */
export function requestHash(body: CreatePaymentBody): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => a.localeCompare(b))));
  return createHash('sha256').update(canonical).digest('hex');
}
