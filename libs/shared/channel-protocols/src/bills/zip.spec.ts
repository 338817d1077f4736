import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { ZIP_ENTRY_BYTES_MAX, ZIP_ENTRY_COUNT_MAX, ZIP_TOTAL_BYTES_MAX, ZipFormatError, unzipFiles, zipFiles } from './zip';
import { readZipWithJava, writeZipWithJava } from './zip-reference.testing';

const hasBinary = (name: string, versionArg: string) => spawnSync(name, [versionArg], { stdio: 'ignore' }).status === 0;
const HAS_UNZIP = hasBinary('unzip', '-v');
/** unzip prints UTF-8 names only under a UTF-8 locale. */
const HAS_UTF8_LOCALE = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout?.toLowerCase().includes('c.utf8') ?? false;
const LOCAL_FLAGS_OFFSET = 6;
const UTF8_FLAG = 0x0800;
const DEFLATED = 8;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_SIGNATURE = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
const CENTRAL_COMPRESSED_SIZE_OFFSET = 20;
const CENTRAL_UNCOMPRESSED_SIZE_OFFSET = 24;
const CENTRAL_HEADER_BYTES = 46;
const END_OF_CENTRAL_DIRECTORY_BYTES = 22;

/** The archive with every central directory record declaring `bytes` uncompressed, as a zip bomb's would. */
function declaringUncompressedSize(zip: Buffer, bytes: number): Buffer {
  const patched = Buffer.from(zip);
  const eocd = zip.length - END_OF_CENTRAL_DIRECTORY_BYTES;
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    patched.writeUInt32LE(bytes, at + CENTRAL_UNCOMPRESSED_SIZE_OFFSET);
    at += CENTRAL_HEADER_BYTES + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return patched;
}

const entries = [
  { name: 'readme.txt', data: Buffer.from('hello, zip\r\n'.repeat(50)) },
  { name: '20881234567890120156_20240305_业务明细.csv', data: Buffer.from([0xbd, 0xbb, 0xd2, 0xd7, 0x0d, 0x0a]) },
  { name: 'empty.bin', data: Buffer.alloc(0) },
  { name: 'random.bin', data: Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff)) },
];

describe('zipFiles / unzipFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'paystream-zip-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips names and bytes, deflated', () => {
    const zip = zipFiles(entries);
    expect(unzipFiles(zip)).toEqual(entries.map(({ name, data }) => ({ name, data })));
    expect(zip.readUInt16LE(8)).toBe(8); // method of the first local header: deflate
  });

  it('sets the UTF-8 flag only on names that are not ASCII', () => {
    const ascii = zipFiles([{ name: 'a.csv', data: Buffer.from('x') }]);
    const chinese = zipFiles([{ name: '业务明细.csv', data: Buffer.from('x') }]);
    expect(ascii.readUInt16LE(LOCAL_FLAGS_OFFSET) & UTF8_FLAG).toBe(0);
    expect(chinese.readUInt16LE(LOCAL_FLAGS_OFFSET) & UTF8_FLAG).toBe(UTF8_FLAG);
  });

  it('keeps the order, repeated names and names an object cannot key (fflate#197)', () => {
    const awkward = ['b.csv', '10', '2', '__proto__', 'b.csv', 'constructor'].map((name, i) => ({ name, data: Buffer.from(`entry ${i}`) }));
    expect(unzipFiles(zipFiles(awkward))).toEqual(awkward);
  });

  it('round-trips any entries', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), data: fc.uint8Array({ maxLength: 2000 }) }), { maxLength: 8 }), (list) => {
        const input = list.map((e) => ({ name: e.name, data: Buffer.from(e.data) }));
        expect(unzipFiles(zipFiles(input))).toEqual(input);
      }),
    );
  });

  it('is read back name for name and byte for byte by java.util.zip, every CRC checked (and unzip -t where installed)', () => {
    const path = join(dir, 'bill.zip');
    writeFileSync(path, zipFiles(entries));
    expect(readZipWithJava(path)).toEqual(entries.map(({ name, data }) => ({ name, data, method: DEFLATED })));
    if (HAS_UNZIP) expect(execFileSync('unzip', ['-tq', path], { encoding: 'utf8' })).toMatch(/No errors detected/);
    if (HAS_UNZIP && HAS_UTF8_LOCALE) {
      // Info-ZIP garbles UTF-8 names of entries "made by" MS-DOS; ours say Unix, as Python's do
      const listed = execFileSync('unzip', ['-Z1', path], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
      expect(listed.trim().split('\n')).toEqual(entries.map((e) => e.name));
    }
  });

  it.each(['STORED', 'DEFLATED'] as const)('reads %s archives written by java.util.zip', (method) => {
    const path = join(dir, `${method}.zip`);
    const written = [
      { name: 'a.txt', data: Buffer.from('alpha'.repeat(100)) },
      { name: '目录/b.txt', data: Buffer.from('\x00\x01beta', 'latin1') },
      { name: 'empty.bin', data: Buffer.alloc(0) },
    ];
    writeZipWithJava(path, method, written);
    expect(readFileSync(path).readUInt16LE(8)).toBe(method === 'STORED' ? 0 : DEFLATED); // the reference did write that method
    expect(unzipFiles(readFileSync(path))).toEqual(written);
  });

  it('refuses a corrupt archive with an Error', () => {
    const zip = zipFiles(entries);
    const flipped = Buffer.from(zip);
    flipped[LOCAL_HEADER_BYTES + entries[0].name.length + 5] ^= 0xff; // inside the first entry's deflated data
    expect(() => unzipFiles(flipped)).toThrow(ZipFormatError);
    expect(() => unzipFiles(zip.subarray(0, zip.length - 10))).toThrow(/end-of-central-directory/);
    expect(() => unzipFiles(Buffer.from('definitely not a zip file, just text'))).toThrow(Error);
    expect(() => unzipFiles(Buffer.alloc(3))).toThrow(/not a ZIP/);
  });

  it('refuses a CRC mismatch even when the data inflates', () => {
    const zip = zipFiles([{ name: 'a.txt', data: Buffer.from('payload') }]);
    const centralAt = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const bad = Buffer.from(zip);
    bad.writeUInt32LE((bad.readUInt32LE(centralAt + 16) + 1) >>> 0, centralAt + 16);
    expect(() => unzipFiles(bad)).toThrow(/CRC-32 mismatch for a\.txt/);
  });

  it('refuses any corruption of the compressed data that changes what it inflates to', () => {
    const name = 'bill.csv';
    const data = Buffer.from('支付宝交易号,商户订单号\r\n'.repeat(20));
    const zip = zipFiles([{ name, data }]);
    const dataStart = LOCAL_HEADER_BYTES + name.length;
    // the local header defers the sizes to a data descriptor after the data; the central directory has them
    const dataEnd = dataStart + zip.readUInt32LE(zip.indexOf(CENTRAL_HEADER_SIGNATURE) + CENTRAL_COMPRESSED_SIZE_OFFSET);
    fc.assert(
      fc.property(fc.integer({ min: dataStart, max: dataEnd - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bad = Buffer.from(zip);
        bad[at] ^= mask;
        let read: { name: string; data: Buffer }[];
        try {
          read = unzipFiles(bad);
        } catch (error) {
          expect(error).toBeInstanceOf(ZipFormatError);
          return;
        }
        // a few flips only re-encode the same bytes (a back-reference to an earlier copy of this repeating text,
        // a padding bit after the last block): no inflater can see those, and they must give the original bytes
        expect(read).toEqual([{ name, data }]);
      }),
    );
  });

  describe('limits against zip bombs, checked on the declared sizes before anything is inflated', () => {
    const small = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}.csv`, Buffer.from(`row ${i}\r\n`)]));

    it(`reads ${ZIP_ENTRY_COUNT_MAX} entries and refuses one more`, () => {
      expect(unzipFiles(Buffer.from(zipSync(small(ZIP_ENTRY_COUNT_MAX))))).toHaveLength(ZIP_ENTRY_COUNT_MAX);
      expect(() => unzipFiles(Buffer.from(zipSync(small(ZIP_ENTRY_COUNT_MAX + 1))))).toThrow(new RegExp(`at most ${ZIP_ENTRY_COUNT_MAX} entries`));
      const tooMany = Array.from({ length: ZIP_ENTRY_COUNT_MAX + 1 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(0) }));
      expect(() => zipFiles(tooMany)).toThrow(ZipFormatError); // nor does it write what it would refuse to read
    });

    it('refuses an entry declaring more than the per-entry limit', () => {
      const zip = zipFiles([{ name: 'bomb.csv', data: Buffer.alloc(1000) }]);
      expect(() => unzipFiles(declaringUncompressedSize(zip, ZIP_ENTRY_BYTES_MAX + 1))).toThrow(
        new RegExp(`bomb\\.csv is ${ZIP_ENTRY_BYTES_MAX + 1} bytes uncompressed, over the ${ZIP_ENTRY_BYTES_MAX}-byte limit`),
      );
    });

    it('refuses entries declaring more than the total limit together', () => {
      const perEntry = ZIP_ENTRY_BYTES_MAX;
      const count = Math.floor(ZIP_TOTAL_BYTES_MAX / perEntry) + 1;
      const zip = zipFiles(Array.from({ length: count }, (_, i) => ({ name: `part${i}.csv`, data: Buffer.alloc(1000) })));
      expect(() => unzipFiles(declaringUncompressedSize(zip, perEntry))).toThrow(new RegExp(`exceed ${ZIP_TOTAL_BYTES_MAX} bytes uncompressed in total`));
    });
  });
});
