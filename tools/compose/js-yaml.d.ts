// js-yaml 4 is in node_modules (through eslint) without its types; compose-config.spec.ts reads YAML with load() only
declare module 'js-yaml' {
  /** Parses one YAML document (merge keys `<<` included). */
  export function load(text: string): unknown;
}
