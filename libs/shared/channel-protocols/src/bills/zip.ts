import { Unzipped, UnzipFileInfo, Zip, ZipDeflate, unzipSync } from 'fflate';
import { crc32 } from 'node:zlib';

/**
 * ZIP archives for the channels' bills (Alipay serves its daily statement as a `.csv.zip`, UnionPay a zip
 * in its file-transfer answer), written and read with fflate. The limits below refuse anything far bigger
 * than a bill before it is inflated, and ZIP64, encryption and methods other than stored and deflate are
 * refused with a clear error rather than misread. Written entries carry their CRC and sizes in a data
 * descriptor after the data (fflate's streaming writer), which every reader, java.util.zip and unzip among them, takes.
 */
export interface ZipEntry {
  name: string;
  data: Buffer;
  /** The modification time stored in the entry (DOS time, no zone); 1980-01-01 00:00 when absent, so archives are reproducible. */
  modifiedAt?: DosDateTime;
}

/** A wall-clock time as DOS stores it: no time zone, two-second resolution, years 1980..2099 (fflate's range). */
export interface DosDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Thrown for anything that is not a well-formed archive of the supported subset, or one over the limits. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

/** A statement archive holds a handful of files (Alipay two, UnionPay one); more is not a bill. */
export const ZIP_ENTRY_COUNT_MAX = 100;
/** One entry's uncompressed size: a busy merchant's day is tens of megabytes of CSV. */
export const ZIP_ENTRY_BYTES_MAX = 256 * 1024 * 1024;
/** All entries together, uncompressed: what one archive may make the process allocate. */
export const ZIP_TOTAL_BYTES_MAX = 512 * 1024 * 1024;

const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const NAME_BYTES_MAX = 0xffff;
/** "Made by" Unix: with MS-DOS there, Info-ZIP's unzip converts names from the OEM code page even when the UTF-8 flag is set. */
const OS_UNIX = 3;
/** A Unix-made entry carries its mode in the high 16 bits of the external attributes: a regular file, rw-r--r--. */
const UNIX_REGULAR_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const DOS_YEAR_MIN = 1980;
/** DOS dates reach 2107, but fflate refuses years past 2099. */
const DOS_YEAR_MAX = 2099;
const DOS_EPOCH: DosDateTime = { year: DOS_YEAR_MIN, month: 1, day: 1, hour: 0, minute: 0, second: 0 };

/** Builds a ZIP archive with every entry deflated, in the order given (names may repeat); non-ASCII names are UTF-8 with the flag set. */
export function zipFiles(entries: ZipEntry[]): Buffer {
  if (entries.length > ZIP_ENTRY_COUNT_MAX) throw new ZipFormatError(`a bill archive holds at most ${ZIP_ENTRY_COUNT_MAX} entries, got ${entries.length}`);
  const chunks: Uint8Array[] = [];
  // fflate's zipSync takes an object keyed by name, which reorders numeric names and cannot hold `__proto__`
  // or a name twice (fflate#197); its streaming Zip takes the entries one by one and runs synchronously with ZipDeflate
  const zip = new Zip((error, chunk) => {
    if (error) throw new ZipFormatError(`cannot write ZIP: ${error.message}`);
    chunks.push(chunk);
  });
  let totalBytes = 0;
  for (const entry of entries) {
    if (entry.name.length === 0) throw new ZipFormatError('a ZIP entry needs a name');
    if (Buffer.byteLength(entry.name, 'utf8') > NAME_BYTES_MAX) throw new ZipFormatError(`ZIP entry name too long: ${entry.name.slice(0, 40)}…`);
    totalBytes += entry.data.length;
    assertWithinLimits(entry.name, entry.data.length, totalBytes);
    const file = new ZipDeflate(entry.name);
    file.mtime = localDateOf(entry.modifiedAt ?? DOS_EPOCH);
    file.os = OS_UNIX;
    file.attrs = UNIX_REGULAR_FILE_ATTRIBUTES;
    zip.add(file);
    file.push(entry.data, true);
  }
  zip.end();
  return Buffer.concat(chunks);
}

export interface UnzipOptions {
  /**
   * Decodes a name stored without the UTF-8 flag. The format says CP437, but Chinese tools (Alipay's
   * statement archives among them) store GBK there; the default keeps the bytes as latin1 so nothing is lost.
   */
  decodeLegacyName?: (raw: Buffer) => string;
}

/**
 * Reads every entry, in central-directory order, after checking the declared sizes against the limits;
 * verifies sizes and CRC-32. Throws ZipFormatError on anything else.
 */
export function unzipFiles(zip: Buffer, options: UnzipOptions = {}): { name: string; data: Buffer }[] {
  const decodeLegacyName = options.decodeLegacyName ?? ((raw: Buffer) => raw.toString('latin1'));
  if (zip.length < END_OF_CENTRAL_DIRECTORY_BYTES) throw new ZipFormatError(`not a ZIP archive: only ${zip.length} bytes`);
  const listed = listEntries(zip);
  const directory = readCentralDirectory(zip, listed.length);
  return listed.map((info, index) => {
    const { crc, flags } = directory[index];
    if (flags & FLAG_ENCRYPTED) throw new ZipFormatError(`encrypted ZIP entries are not supported: ${info.name}`);
    // fflate decodes a name without the UTF-8 flag as latin1, which gives back its bytes one for one
    const name = flags & FLAG_UTF8_NAME ? info.name : decodeLegacyName(Buffer.from(info.name, 'latin1'));
    const data = extractEntry(zip, index, info);
    if (data.length !== info.originalSize) throw new ZipFormatError(`corrupt ZIP: ${name} is ${data.length} bytes, the directory says ${info.originalSize}`);
    if (crc32(data) !== crc) throw new ZipFormatError(`corrupt ZIP: CRC-32 mismatch for ${name}`);
    return { name, data };
  });
}

/** The central directory as fflate reads it, checked against the limits without inflating anything. */
function listEntries(zip: Buffer): UnzipFileInfo[] {
  const listed: UnzipFileInfo[] = [];
  let totalBytes = 0;
  withFflate(() =>
    unzipSync(zip, {
      filter: (info) => {
        if (listed.length === ZIP_ENTRY_COUNT_MAX) throw new ZipFormatError(`a bill archive holds at most ${ZIP_ENTRY_COUNT_MAX} entries; this one has more`);
        totalBytes += info.originalSize;
        assertWithinLimits(info.name, info.originalSize, totalBytes);
        if (info.compression !== METHOD_STORED && info.compression !== METHOD_DEFLATED) {
          throw new ZipFormatError(`unsupported ZIP compression method ${info.compression} for ${info.name}`);
        }
        listed.push(info);
        return false;
      },
    }),
  );
  return listed;
}

/**
 * One entry's bytes. unzipSync answers an object keyed by name, which would merge entries of the same name,
 * so each entry is taken alone by its position; the count limit bounds the passes. fflate inflates into a
 * buffer of the declared size, so a stream longer than declared cannot grow it (and fails the CRC check).
 */
function extractEntry(zip: Buffer, index: number, info: UnzipFileInfo): Buffer {
  let position = 0;
  const found: Unzipped = withFflate(() => unzipSync(zip, { filter: () => position++ === index }));
  // an entry named __proto__ goes through the object's prototype setter, and comes back through its getter
  const data = found[info.name];
  return Buffer.from(data.buffer, data.byteOffset, data.length);
}

function assertWithinLimits(name: string, entryBytes: number, totalBytes: number): void {
  if (entryBytes > ZIP_ENTRY_BYTES_MAX) throw new ZipFormatError(`ZIP entry ${name} is ${entryBytes} bytes uncompressed, over the ${ZIP_ENTRY_BYTES_MAX}-byte limit`);
  if (totalBytes > ZIP_TOTAL_BYTES_MAX) throw new ZipFormatError(`ZIP entries exceed ${ZIP_TOTAL_BYTES_MAX} bytes uncompressed in total`);
}

/** fflate throws plain Errors with a numeric code; 13 is its "no end-of-central-directory record". */
const FFLATE_INVALID_ZIP_DATA = 13;

function withFflate<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ZipFormatError) throw error;
    if ((error as { code?: unknown }).code === FFLATE_INVALID_ZIP_DATA) throw new ZipFormatError('not a ZIP archive: no end-of-central-directory record');
    throw new ZipFormatError(`corrupt ZIP: ${(error as Error).message}`);
  }
}

const END_OF_CENTRAL_DIRECTORY_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const CENTRAL_HEADER_BYTES = 46;
const FLAG_ENCRYPTED = 0x0001;
/** General purpose bit 11: the name (and comment) are UTF-8; otherwise readers assume CP437. */
const FLAG_UTF8_NAME = 0x0800;

/**
 * What fflate (0.8) reads but does not hand out: each entry's CRC-32, which it never checks, and its flags
 * (UTF-8 name, encrypted). Walks the same records from the same end record fflate found, the last one.
 */
function readCentralDirectory(zip: Buffer, count: number): { crc: number; flags: number }[] {
  const eocd = zip.lastIndexOf(END_OF_CENTRAL_DIRECTORY_SIGNATURE, zip.length - END_OF_CENTRAL_DIRECTORY_BYTES);
  if (eocd >= ZIP64_LOCATOR_BYTES && zip.readUInt32LE(eocd - ZIP64_LOCATOR_BYTES) === ZIP64_LOCATOR_SIGNATURE) throw new ZipFormatError('ZIP64 archives are not supported');
  const entries: { crc: number; flags: number }[] = [];
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_BYTES > zip.length || zip.readUInt32LE(at) !== CENTRAL_HEADER_SIGNATURE) throw new ZipFormatError(`corrupt ZIP: bad central directory record at byte ${at}`);
    entries.push({ flags: zip.readUInt16LE(at + 8), crc: zip.readUInt32LE(at + 16) });
    at += CENTRAL_HEADER_BYTES + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/**
 * fflate stores the local wall-clock fields of the Date it is given, so the Date is built from the DOS fields
 * in the process's zone; a time that zone skips (a DST gap) has no such Date and is refused.
 */
function localDateOf(t: DosDateTime): Date {
  if (t.year < DOS_YEAR_MIN || t.year > DOS_YEAR_MAX) throw new ZipFormatError(`a ZIP timestamp holds years ${DOS_YEAR_MIN}..${DOS_YEAR_MAX}, got ${t.year}`);
  const date = new Date(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  const fields = [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()];
  if (fields.join() !== [t.year, t.month, t.day, t.hour, t.minute, t.second].join()) {
    throw new ZipFormatError(`no such local time for a ZIP timestamp: ${JSON.stringify(t)} (time zone ${Intl.DateTimeFormat().resolvedOptions().timeZone})`);
  }
  return date;
}
