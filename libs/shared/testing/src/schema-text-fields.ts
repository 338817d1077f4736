import type { z } from 'zod';
import { checkUnstorableTextCase, schemaTextFields, unstorableTextCases } from '@paystream/contracts';

/**
 * Declares the table-driven tests that every text field of each named schema refuses NUL and lone
 * surrogates, and that the only fields taken unseen are the ones `opaque` names (checked elsewhere).
 */
export function itRefusesUnstorableText(
  schemas: Readonly<Record<string, z.ZodType>>,
  opts: { samples?: readonly string[]; opaque?: Readonly<Record<string, readonly string[]>> } = {},
): void {
  const cases = Object.entries(schemas).flatMap(([name, schema]) => unstorableTextCases(name, schema, opts.samples));
  it.each(cases)('%s refuses NUL and lone surrogates', (label, field, valid) => {
    expect(checkUnstorableTextCase(label, field, valid)).toEqual({ validAccepted: true, acceptedVariants: [] });
  });
  it.each(Object.entries(schemas))('%s takes no text unseen beyond the fields it names', (name, schema) => {
    expect(schemaTextFields(schema).opaque).toEqual(opts.opaque?.[name] ?? []);
  });
}
