/** A TOML value as Burrow's config reads it: strings quoted, numbers and booleans bare, string lists. */
export type TomlValue = string | number | boolean | readonly string[];

function toml(value: TomlValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * The Burrow config with some keys of some sections replaced (or added to the section when it lacks
 * them); every section named must already be there, so a renamed section in the template fails here
 * rather than silently running Burrow on defaults.
 */
export function overrideBurrowConfig(template: string, overrides: Readonly<Record<string, Readonly<Record<string, TomlValue>>>>): string {
  const lines = template.split('\n');
  for (const [section, keys] of Object.entries(overrides)) {
    const start = lines.findIndex((l) => l.trim() === `[${section}]`);
    if (start < 0) throw new Error(`burrow config has no [${section}] section`);
    let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
    if (end < 0) end = lines.length;
    for (const [key, value] of Object.entries(keys)) {
      const at = lines.findIndex((l, i) => i > start && i < end && new RegExp(`^\\s*${key.replace(/[-.]/g, '\\$&')}\\s*=`).test(l));
      if (at >= 0) {
        lines[at] = `${key}=${toml(value)}`;
      } else {
        lines.splice(start + 1, 0, `${key}=${toml(value)}`);
        end += 1;
      }
    }
  }
  return lines.join('\n');
}

/** A key's value in a section of the config, as written (quotes and TOML escapes undone for strings). */
export function burrowConfigValue(config: string, section: string, key: string): string | undefined {
  const lines = config.split('\n');
  const start = lines.findIndex((l) => l.trim() === `[${section}]`);
  if (start < 0) return undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\s*\[/.test(line)) break;
    const m = new RegExp(`^\\s*${key.replace(/[-.]/g, '\\$&')}\\s*=\\s*(.*)$`).exec(line);
    if (m) return m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1];
  }
  return undefined;
}
