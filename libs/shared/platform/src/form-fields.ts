/**
 * A form body (application/x-www-form-urlencoded, as Fastify parses it) as string fields: a
 * repeated key keeps its first value, anything that is not an object is no fields.
 */
export function formFields(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
}
