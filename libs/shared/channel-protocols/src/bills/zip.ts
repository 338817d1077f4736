import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * A minimal ZIP (PKWARE APPNOTE 6.3) writer and reader, enough for the channels' bill archives:
 * Alipay serves its daily statement as a `.csv.zip`. No dependency: node:zlib does the deflate and
 * the CRC-32. No ZIP64, no encryption, no multi-disk archives: a bill is a few megabytes at most,
 * and anything outside this subset is refused with a clear error rather than misread.
 */
export interface ZipEntry {
  name: string;
  data: Buffer;
  /** The modification time stored in the entry (DOS time, no zone); 1980-01-01 00:00 when absent, so archives are reproducible. */
  modifiedAt?: DosDateTime;
}

/** A wall-clock time as DOS stores it: no time zone, two-second resolution, years 1980..2107. */
export interface DosDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Thrown for anything that is not a well-formed archive of the supported subset. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_OF_CENTRAL_DIRECTORY_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
/** 2.0: the version that introduced deflate; what every reader accepts. */
const VERSION_NEEDED_DEFLATE = 20;
/**
 * "Made by" Unix (high byte 3), spec 2.0, as Python and Info-ZIP on Linux write it. With MS-DOS (0) there,
 * Info-ZIP's unzip converts names from the OEM code page even when the UTF-8 flag is set, garbling Chinese names.
 */
const MADE_BY_UNIX = (3 << 8) | VERSION_NEEDED_DEFLATE;
/** A Unix-made entry carries its mode in the high 16 bits of the external attributes: a regular file, rw-r--r--. */
const UNIX_REGULAR_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const FLAG_ENCRYPTED = 0x0001;
/** General purpose bit 11: the name (and comment) are UTF-8; otherwise readers assume CP437. */
const FLAG_UTF8_NAME = 0x0800;
const MAX_UINT16 = 0xffff;
/** 0xFFFFFFFF in a size or offset means "see the ZIP64 record", which this reader does not support. */
const ZIP64_MARKER_U32 = 0xffffffff;
const DOS_EPOCH_YEAR = 1980;
const DOS_LAST_YEAR = 2107;
const DOS_EPOCH: DosDateTime = { year: DOS_EPOCH_YEAR, month: 1, day: 1, hour: 0, minute: 0, second: 0 };

/** Builds a ZIP archive with every entry deflated (method 8). */
export function zipFiles(entries: ZipEntry[]): Buffer {
  if (entries.length > MAX_UINT16) throw new ZipFormatError(`a ZIP without ZIP64 holds at most ${MAX_UINT16} entries, got ${entries.length}`);
  const localParts: Buffer[] = [];
  const centralParts: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (entry.name.length === 0) throw new ZipFormatError('a ZIP entry needs a name');
    const name = Buffer.from(entry.name, 'utf8');
    if (name.length > MAX_UINT16) throw new ZipFormatError(`ZIP entry name too long: ${entry.name.slice(0, 40)}…`);
    const compressed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const flags = isAscii(entry.name) ? 0 : FLAG_UTF8_NAME;
    const { time, date } = dosTimeAndDate(entry.modifiedAt ?? DOS_EPOCH);
    assertU32(entry.data.length, 'entry size');
    assertU32(compressed.length, 'compressed entry size');
    assertU32(offset, 'entry offset');

    const local = Buffer.alloc(LOCAL_HEADER_BYTES);
    local.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0);
    local.writeUInt16LE(VERSION_NEEDED_DEFLATE, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(METHOD_DEFLATED, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    localParts.push(local, name, compressed);

    const central = Buffer.alloc(CENTRAL_HEADER_BYTES);
    central.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(VERSION_NEEDED_DEFLATE, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(METHOD_DEFLATED, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number start and internal attributes stay 0
    central.writeUInt32LE(UNIX_REGULAR_FILE_ATTRIBUTES, 38);
    central.writeUInt32LE(offset, 42);
    centralParts.push(central, name);

    offset += local.length + name.length + compressed.length;
  }
  const centralDirectory = Buffer.concat(centralParts);
  assertU32(offset, 'central directory offset');
  const end = Buffer.alloc(END_OF_CENTRAL_DIRECTORY_BYTES);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY_SIGNATURE, 0);
  // this disk and the central directory's disk stay 0
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  // comment length stays 0
  return Buffer.concat([...localParts, centralDirectory, end]);
}

export interface UnzipOptions {
  /**
   * Decodes a name stored without the UTF-8 flag. The format says CP437, but Chinese tools (Alipay's
   * statement archives among them) store GBK there; the default keeps the bytes as latin1 so nothing is lost.
   */
  decodeLegacyName?: (raw: Buffer) => string;
}

/** Reads every entry through the central directory; verifies sizes and CRC-32. Throws ZipFormatError on anything else. */
export function unzipFiles(zip: Buffer, options: UnzipOptions = {}): { name: string; data: Buffer }[] {
  const decodeLegacyName = options.decodeLegacyName ?? ((raw: Buffer) => raw.toString('latin1'));
  const eocd = findEndOfCentralDirectory(zip);
  const entryCount = zip.readUInt16LE(eocd + 10);
  if (zip.readUInt16LE(eocd + 4) !== 0 || zip.readUInt16LE(eocd + 6) !== 0 || zip.readUInt16LE(eocd + 8) !== entryCount) {
    throw new ZipFormatError('multi-disk ZIP archives are not supported');
  }
  const directorySize = zip.readUInt32LE(eocd + 12);
  const directoryOffset = zip.readUInt32LE(eocd + 16);
  if (directorySize === ZIP64_MARKER_U32 || directoryOffset === ZIP64_MARKER_U32) throw new ZipFormatError('ZIP64 archives are not supported');
  if (directoryOffset + directorySize > eocd) throw new ZipFormatError('corrupt ZIP: the central directory overruns the archive');

  const files: { name: string; data: Buffer }[] = [];
  let at = directoryOffset;
  for (let i = 0; i < entryCount; i++) {
    need(zip, at, CENTRAL_HEADER_BYTES, 'central directory header');
    if (zip.readUInt32LE(at) !== CENTRAL_HEADER_SIGNATURE) throw new ZipFormatError(`corrupt ZIP: bad central directory signature at byte ${at}`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    need(zip, at + CENTRAL_HEADER_BYTES, nameLength, 'entry name');
    const rawName = zip.subarray(at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength);
    const name = flags & FLAG_UTF8_NAME ? rawName.toString('utf8') : decodeLegacyName(rawName);
    at += CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;

    if (flags & FLAG_ENCRYPTED) throw new ZipFormatError(`encrypted ZIP entries are not supported: ${name}`);
    if ([compressedSize, size, localOffset].includes(ZIP64_MARKER_U32)) throw new ZipFormatError(`ZIP64 entries are not supported: ${name}`);
    files.push({ name, data: readEntryData(zip, { name, method, crc, compressedSize, size, localOffset }) });
  }
  if (at > eocd) throw new ZipFormatError('corrupt ZIP: the central directory overruns the end record');
  return files;
}

function readEntryData(zip: Buffer, e: { name: string; method: number; crc: number; compressedSize: number; size: number; localOffset: number }): Buffer {
  need(zip, e.localOffset, LOCAL_HEADER_BYTES, `local header of ${e.name}`);
  if (zip.readUInt32LE(e.localOffset) !== LOCAL_HEADER_SIGNATURE) throw new ZipFormatError(`corrupt ZIP: bad local header signature for ${e.name}`);
  // the local name and extra field may differ in length from the central ones; sizes come from the central directory
  const dataStart = e.localOffset + LOCAL_HEADER_BYTES + zip.readUInt16LE(e.localOffset + 26) + zip.readUInt16LE(e.localOffset + 28);
  need(zip, dataStart, e.compressedSize, `data of ${e.name}`);
  const stored = zip.subarray(dataStart, dataStart + e.compressedSize);
  let data: Buffer;
  if (e.method === METHOD_STORED) {
    data = Buffer.from(stored);
  } else if (e.method === METHOD_DEFLATED) {
    try {
      data = inflateRawSync(stored);
    } catch (err) {
      throw new ZipFormatError(`corrupt ZIP: ${e.name} does not inflate (${(err as Error).message})`);
    }
  } else {
    throw new ZipFormatError(`unsupported ZIP compression method ${e.method} for ${e.name}`);
  }
  if (data.length !== e.size) throw new ZipFormatError(`corrupt ZIP: ${e.name} is ${data.length} bytes, the directory says ${e.size}`);
  if (crc32(data) !== e.crc) throw new ZipFormatError(`corrupt ZIP: CRC-32 mismatch for ${e.name}`);
  return data;
}

/** The end record sits in the last 22 bytes plus at most a 64 KiB comment; search backwards for its signature. */
function findEndOfCentralDirectory(zip: Buffer): number {
  if (zip.length < END_OF_CENTRAL_DIRECTORY_BYTES) throw new ZipFormatError(`not a ZIP archive: only ${zip.length} bytes`);
  const lowest = Math.max(0, zip.length - END_OF_CENTRAL_DIRECTORY_BYTES - MAX_COMMENT_BYTES);
  for (let at = zip.length - END_OF_CENTRAL_DIRECTORY_BYTES; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY_SIGNATURE && at + END_OF_CENTRAL_DIRECTORY_BYTES + zip.readUInt16LE(at + 20) === zip.length) return at;
  }
  throw new ZipFormatError('not a ZIP archive: no end-of-central-directory record');
}

function need(zip: Buffer, at: number, length: number, what: string): void {
  if (at < 0 || at + length > zip.length) throw new ZipFormatError(`corrupt ZIP: ${what} runs past the end of the archive`);
}

function assertU32(n: number, what: string): void {
  if (n >= ZIP64_MARKER_U32) throw new ZipFormatError(`${what} needs ZIP64, which is not supported`);
}

/** Every non-ASCII character takes more UTF-8 bytes than UTF-16 units, so equal lengths mean pure ASCII. */
function isAscii(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') === s.length;
}

/** DOS packs seconds/2, minutes and hours into one word and years since 1980, month and day into another. */
function dosTimeAndDate(t: DosDateTime): { time: number; date: number } {
  if (t.year < DOS_EPOCH_YEAR || t.year > DOS_LAST_YEAR) throw new ZipFormatError(`a DOS timestamp holds years ${DOS_EPOCH_YEAR}..${DOS_LAST_YEAR}, got ${t.year}`);
  return {
    time: (t.hour << 11) | (t.minute << 5) | Math.floor(t.second / 2),
    date: ((t.year - DOS_EPOCH_YEAR) << 9) | (t.month << 5) | t.day,
  };
}
