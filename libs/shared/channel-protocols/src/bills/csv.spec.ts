import { csvLine, parseCsv } from './csv';
import { BillFormatError } from './yuan';

describe('CSV', () => {
  it('quotes per RFC 4180 only when needed, and reads it back', () => {
    const fields = ['plain', 'with,comma', 'with "quote"', 'two\r\nlines', '', '`0.01', 'tab\t'];
    const line = csvLine(fields);
    expect(line).toBe('plain,"with,comma","with ""quote""","two\r\nlines",,`0.01,tab\t');
    expect(parseCsv(`${line}\r\nnext\n`)).toEqual([fields, ['next']]);
  });

  it('drops a BOM and blank lines, and refuses an unterminated quote', () => {
    expect(parseCsv('\ufeffa,b\r\n\r\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(() => parseCsv('a,"b\r\n')).toThrow(BillFormatError);
  });
});
