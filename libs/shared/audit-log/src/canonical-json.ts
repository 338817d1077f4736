/**
 * The canonical JSON encoding an audit row's hash is taken over. One value has exactly one
 * encoding, so a verifier in any language can recompute it:
 *   - objects: keys sorted by UTF-16 code units (as RFC 8785 / JCS does), no whitespace; a property
 *     whose value is undefined is left out;
 *   - strings: as JSON.stringify writes them (`"` `\\` and control characters escaped, everything else,
 *     non-ASCII included, as itself, UTF-8 encoded for hashing);
 *   - bigint: its decimal digits as a JSON string (`12n` -> `"12"`), so money never meets a float;
 *   - numbers: safe integers only (anything else is refused: put amounts in bigint, fractions in strings);
 *   - Date: a JSON string, UTC, milliseconds: `2026-01-02T03:04:05.678Z`;
 *   - true, false, null as themselves; arrays in their order.
 * A value once stored as JSONB and read back encodes the same (keys re-sorted, bigints already strings).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

/** The value as plain JSON (bigint and Date as the strings canonicalJson writes), for storing in JSONB. */
export function canonicalValue(value: unknown): unknown {
  return JSON.parse(canonicalJson(value));
}

function encode(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `"${value.toString()}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new Error(`canonical JSON: ${path} is ${value}, not a safe integer (use bigint or a string)`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new Error(`canonical JSON: ${path} is an invalid date`);
        return `"${value.toISOString()}"`;
      }
      if (Array.isArray(value)) return `[${value.map((v, i) => (v === undefined ? 'null' : encode(v, `${path}[${i}]`))).join(',')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new Error(`canonical JSON: ${path} is a ${proto?.constructor?.name ?? 'non-plain object'}, not a plain object`);
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      // default sort compares UTF-16 code units, which is what RFC 8785 asks for
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${encode(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new Error(`canonical JSON: ${path} is a ${typeof value}`);
  }
}
