import { z } from 'zod';

/** A bill's Beijing day, yyyy-MM-dd, as both channels' bill APIs take it. */
export const billDateSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'bill_date is yyyy-MM-dd');
