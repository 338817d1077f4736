import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ZipFormatError, unzipFiles, zipFiles } from './zip';
import { readZipWithJava, writeZipWithJava } from './zip-reference.testing';

const hasBinary = (name: string, versionArg: string) => spawnSync(name, [versionArg], { stdio: 'ignore' }).status === 0;
const HAS_UNZIP = hasBinary('unzip', '-v');
/** unzip prints UTF-8 names only under a UTF-8 locale. */
const HAS_UTF8_LOCALE = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout?.toLowerCase().includes('c.utf8') ?? false;
const LOCAL_FLAGS_OFFSET = 6;
const UTF8_FLAG = 0x0800;
const DEFLATED = 8;

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
    flipped[60] ^= 0xff; // inside the first entry's deflated data
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

  it('refuses any corruption of the compressed data', () => {
    const name = 'bill.csv';
    const zip = zipFiles([{ name, data: Buffer.from('支付宝交易号,商户订单号\r\n'.repeat(20)) }]);
    const dataStart = 30 + name.length;
    const dataEnd = dataStart + zip.readUInt32LE(18); // compressed size in the local header
    fc.assert(
      fc.property(fc.integer({ min: dataStart, max: dataEnd - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bad = Buffer.from(zip);
        bad[at] ^= mask;
        expect(() => unzipFiles(bad)).toThrow(ZipFormatError);
      }),
    );
  });
});
