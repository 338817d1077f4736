import { decode, encode } from 'iconv-lite';
import { BillFormatError } from './yuan';

/**
 * Alipay's statement files are GBK ("ANSI" on a Chinese Windows, where merchants open them in Excel).
 * iconv-lite is lossy in both directions (unmappable characters become '?' or U+FFFD), so these wrappers
 * check the round trip: a bill must never change a trade number or a name silently.
 */
const GBK = 'gbk';
const REPLACEMENT_CHARACTER = '\ufffd';
/** What a GBK encoder writes for a character GBK lacks; the bill writers use it for free text only. */
export const GBK_SUBSTITUTE = '?';

/** GBK bytes of text that GBK can represent; throws naming the first character it cannot. */
export function encodeGbk(text: string): Buffer {
  const bytes = encode(text, GBK);
  if (decode(bytes, GBK) !== text) {
    const bad = [...text].find((ch) => !isGbkRepresentable(ch));
    throw new BillFormatError(`not representable in GBK: ${JSON.stringify(bad ?? text)}`);
  }
  return bytes;
}

/** Text of GBK bytes; throws on a byte sequence that is not GBK, which is what a UTF-8 file read as GBK looks like. */
export function decodeGbk(bytes: Buffer): string {
  const text = decode(bytes, GBK);
  if (text.includes(REPLACEMENT_CHARACTER)) throw new BillFormatError('not GBK text: undecodable byte sequence');
  return text;
}

/** Free text (a product name) made GBK-safe the way the channel's export does it: each unmappable character becomes '?'. */
export function toGbkRepresentable(text: string): string {
  return [...text].map((ch) => (isGbkRepresentable(ch) ? ch : GBK_SUBSTITUTE)).join('');
}

function isGbkRepresentable(ch: string): boolean {
  return decode(encode(ch, GBK), GBK) === ch;
}
