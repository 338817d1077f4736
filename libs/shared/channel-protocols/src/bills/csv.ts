import { BillFormatError } from './yuan';

/** Both channels' bill files end lines with CRLF (RFC 4180's line break); the readers accept bare LF as well. */
export const CSV_LINE_END = '\r\n';
const NEEDS_QUOTES = /[",\r\n]/;

/** One RFC 4180 field: quoted (inner quotes doubled) only when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line without its line end. */
export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}

/**
 * Splits text into records of fields per RFC 4180: quoted fields may hold commas, doubled quotes
 * and line breaks. A leading BOM is dropped. Blank lines give no record. Throws on an unterminated quote
 * or text after a closing quote, which only a damaged file has.
 */
export function parseCsv(text: string): string[][] {
  const source = text.startsWith('\ufeff') ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    if (!(record.length === 1 && record[0] === '' && !afterQuote)) records.push(record);
    record = [];
    field = '';
    afterQuote = false;
  };
  while (i < source.length) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        afterQuote = true;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      afterQuote = false;
    } else if (c === '\r' && source[i + 1] === '\n') {
      endRecord();
      i++;
    } else if (c === '\n') {
      endRecord();
    } else if (afterQuote) {
      throw new BillFormatError(`CSV: text after a closing quote near ${JSON.stringify(source.slice(Math.max(0, i - 20), i + 20))}`);
    } else if (c === '"' && field === '') {
      quoted = true;
    } else {
      field += c;
    }
    i++;
  }
  if (quoted) throw new BillFormatError('CSV: unterminated quoted field');
  if (field !== '' || record.length > 0 || afterQuote) endRecord();
  return records;
}

/** Looks fields up by their header names, so a reader does not depend on column order. */
export function columnIndex(header: readonly string[], required: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (!index.has(name)) index.set(name, i);
  });
  const missing = required.filter((name) => !index.has(name));
  if (missing.length > 0) throw new BillFormatError(`bill header lacks ${missing.join(', ')}`);
  return index;
}
