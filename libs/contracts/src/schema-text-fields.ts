import type { z } from 'zod';
import { isStorableText } from './storable-text';

/** A field of a schema that takes text, with the schema that parses it (its wrappers and transforms included). */
export interface TextField {
  path: string;
  schema: z.ZodType;
}

/** The text fields of a schema, and the fields it takes without looking (unknown/any) so a spec can name them. */
export interface SchemaTextFields {
  fields: TextField[];
  opaque: string[];
}

interface Def {
  type: string;
  [k: string]: unknown;
}
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional', 'success']);
/** Types that never take a string from the outside (or only ones from a fixed list). */
const NOT_TEXT = new Set(['number', 'bigint', 'boolean', 'date', 'enum', 'literal', 'null', 'undefined', 'void', 'never', 'nan', 'symbol', 'file']);

/**
 * Walks a zod 4 schema (objects, arrays, records, unions, wrappers, pipes) and lists every field
 * that takes a string, so a spec can prove each one refuses unstorable text: a field added
 * later is walked, and so tested, without touching the spec.
 */
export function schemaTextFields(schema: z.ZodType): SchemaTextFields {
  const out: SchemaTextFields = { fields: [], opaque: [] };
  walk(schema, '', schema, out, new Set());
  // one case per field schema: union options sharing a path with different schemas each get theirs
  out.fields = out.fields.filter((f, i) => out.fields.findIndex((g) => g.path === f.path && g.schema === f.schema) === i);
  return out;
}

function walk(s: unknown, path: string, field: z.ZodType, out: SchemaTextFields, visiting: Set<unknown>): void {
  if (visiting.has(s)) return;
  const def = defOf(s);
  const label = path || '(root)';
  if (NOT_TEXT.has(def.type)) return;
  if (def.type === 'string' || def.type === 'template_literal') {
    out.fields.push({ path: label, schema: field });
    return;
  }
  if (WRAPPERS.has(def.type)) return walk(def['innerType'], path, field, out, visiting);
  visiting.add(s);
  try {
    switch (def.type) {
      case 'object':
        for (const [key, child] of Object.entries(def['shape'] as Record<string, z.ZodType>)) walk(child, path ? `${path}.${key}` : key, child, out, visiting);
        if (def['catchall'] && defOf(def['catchall']).type !== 'never') walk(def['catchall'], `${label}.*`, def['catchall'] as z.ZodType, out, visiting);
        return;
      case 'array':
        return walk(def['element'], `${label}[]`, def['element'] as z.ZodType, out, visiting);
      case 'tuple':
        (def['items'] as z.ZodType[]).forEach((item, i) => walk(item, `${label}[${i}]`, item, out, visiting));
        return;
      case 'record':
      case 'map':
        walk(def['keyType'], `${label}{key}`, def['keyType'] as z.ZodType, out, visiting);
        return walk(def['valueType'], `${label}{value}`, def['valueType'] as z.ZodType, out, visiting);
      case 'set':
        return walk(def['valueType'], `${label}{value}`, def['valueType'] as z.ZodType, out, visiting);
      case 'union':
        for (const option of def['options'] as z.ZodType[]) walk(option, path, field, out, visiting);
        return;
      case 'intersection':
        walk(def['left'], path, field, out, visiting);
        return walk(def['right'], path, field, out, visiting);
      case 'pipe':
        // what comes in decides what text is taken; z.preprocess starts with a transform that takes anything
        return walk(defOf(def['in']).type === 'transform' ? def['out'] : def['in'], path, field, out, visiting);
      case 'lazy':
        return walk((def['getter'] as () => unknown)(), path, field, out, visiting);
      default:
        // unknown, any, custom, transform: takes text the walk cannot see; the spec must name it
        out.opaque.push(label);
    }
  } finally {
    visiting.delete(s);
  }
}

/**
 * Strings a field might accept, tried in turn for a valid value to corrupt; a field none of them
 * fits fails its spec until one is added here or passed as an extra sample.
 */
export const TEXT_SAMPLES: readonly string[] = [
  'abc123',
  'Tea set',
  '1999',
  '6f1c1f59-4d8e-4a4e-9d59-8d5d0f0a3b11',
  '2026-11-25T08:00:00.000Z',
  '2026-11-25',
  `tok_${'a'.repeat(32)}`,
  '203.0.113.7',
  '2001:db8::1',
  'INTERNAL_ERROR',
  'alipay',
  '15:00',
  '00:00',
  'https://example.com/x',
];

/** Ways to make a valid string unstorable in place (same length): a NUL, a lone high and a lone low surrogate. */
export function unstorableVariants(valid: string): Array<[string, string]> {
  const at = Math.floor(valid.length / 2);
  const put = (ch: string) => valid.slice(0, at) + ch + valid.slice(at + 1);
  return [
    ['NUL', put('\u0000')],
    ['a lone high surrogate', put('\ud800')],
    ['a lone low surrogate', put('\udc00')],
  ];
}

/**
 * The spec cases for one schema: for every text field, the field's schema and a sample it accepts
 * (undefined when no sample fits, which the spec reports as a failure).
 */
export function unstorableTextCases(name: string, schema: z.ZodType, extraSamples: readonly string[] = []): Array<[string, z.ZodType, string | undefined]> {
  const samples = [...extraSamples, ...TEXT_SAMPLES];
  return schemaTextFields(schema).fields.map(({ path, schema: field }) => [`${name} ${path}`, field, samples.find((s) => field.safeParse(s).success)]);
}

/**
 * How one case went: whether the field takes its valid sample, and which unstorable variants of it
 * it wrongly takes (none, when it refuses them all).
 */
export function checkUnstorableTextCase(label: string, field: z.ZodType, valid: string | undefined): { validAccepted: boolean; acceptedVariants: string[] } {
  if (valid === undefined) throw new Error(`no sample fits ${label}: add one it accepts (TEXT_SAMPLES or the spec's samples)`);
  return {
    validAccepted: field.safeParse(valid).success,
    acceptedVariants: unstorableVariants(valid)
      .filter(([, bad]) => !isStorableText(bad) && field.safeParse(bad).success)
      .map(([what]) => what),
  };
}
