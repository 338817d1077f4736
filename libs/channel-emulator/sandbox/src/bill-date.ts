import { z } from 'zod';
import { beijingDayStart } from '@paystream/shared/channel-protocols';

/** A bill's Beijing day, yyyy-MM-dd and a day that exists (no Feb 30), as both channels' bill APIs take it. */
export const billDateSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'bill_date is yyyy-MM-dd')
  .refine((d) => {
    try {
      beijingDayStart(d);
      return true;
    } catch {
      return false;
    }
  }, 'bill_date is not a day');
