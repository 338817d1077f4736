import { externalIdSchema } from '@paystream/contracts';
import { ApiError } from '@paystream/shared/platform';

/** A :merchantId path parameter, checked (VALIDATION_FAILED when it is not a valid id). */
export function merchantIdParam(raw: string): string {
  if (!externalIdSchema.safeParse(raw).success) throw new ApiError('VALIDATION_FAILED', 'merchantId is not a valid id');
  return raw;
}
