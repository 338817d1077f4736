import { z } from 'zod';

/**
 * Characters PostgreSQL cannot store in TEXT/JSONB: NUL (it refuses 0x00 outright) and UTF-16
 * surrogates that are not part of a pair (there is no valid UTF-8 for them; the driver would
 * silently turn them into U+FFFD). With the `u` flag a well-formed pair is one code point and
 * does not match.
 */
const UNSTORABLE_CHARACTER = /[\u0000\p{Cs}]/u;

/** The message every refusal of unstorable text carries, so clients see one wording everywhere. */
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates';

/** Whether a string can be stored in PostgreSQL as it is (no NUL, no lone surrogate). */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE_CHARACTER.test(value);
}

/**
 * The string primitive for every text field of an event or API body: a plain z.string() that also
 * refuses what PostgreSQL cannot store, so such input is a validation error at the edge instead
 * of a database error (500 / retried event) later. Chain .min/.max/.regex as on z.string().
 */
export function storableText() {
  return z.string().refine(isStorableText, { message: UNSTORABLE_TEXT_MESSAGE });
}

/**
 * The first place in a parsed JSON-like value (strings, arrays, plain objects; keys too) holding
 * unstorable text, as a dotted path under `root`; undefined when all of it can be stored.
 */
export function findUnstorableText(value: unknown, root: string): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : root;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${root}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const [key, v] of Object.entries(value)) {
      const path = root ? `${root}.${key}` : key;
      if (!isStorableText(key)) return `${root || '(root)'}: a key`;
      const found = findUnstorableText(v, path);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
