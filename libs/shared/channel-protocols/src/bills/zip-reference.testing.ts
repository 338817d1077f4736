import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A second, independent ZIP implementation for the specs: java.util.zip, run through the JDK's
 * single-file source launcher. The JDK is required anyway (the Kafka broker runs on it), so unlike
 * python3 or unzip it is always there; when it is not, the specs fail loudly instead of skipping.
 */
const SOURCE = String.raw`
import java.io.*;
import java.nio.charset.*;
import java.util.*;
import java.util.zip.*;

public class ZipReference {
  public static void main(String[] a) throws Exception {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    Base64.Encoder b64 = Base64.getEncoder();
    if (a[0].equals("read")) {
      // names from the central directory, then every entry through its local header: ZipInputStream
      // checks each entry's CRC-32 and sizes, as Python's testzip does
      List<String> central = new ArrayList<>();
      try (ZipFile z = new ZipFile(a[1], StandardCharsets.UTF_8)) { z.stream().forEach(e -> central.add(e.getName())); }
      Charset text = a.length > 2 ? Charset.forName(a[2]) : null;
      int i = 0;
      try (ZipInputStream in = new ZipInputStream(new FileInputStream(a[1]), StandardCharsets.UTF_8)) {
        for (ZipEntry e; (e = in.getNextEntry()) != null; i++) {
          byte[] data = in.readAllBytes();
          if (i >= central.size() || !central.get(i).equals(e.getName())) throw new ZipException("local entry " + e.getName() + " is not in the central directory at " + i);
          byte[] shown = text == null ? data : new String(data, text).getBytes(StandardCharsets.UTF_8);
          out.println(b64.encodeToString(e.getName().getBytes(StandardCharsets.UTF_8)) + " " + b64.encodeToString(shown) + " " + e.getMethod());
        }
      }
      if (i != central.size()) throw new ZipException("central directory lists " + central.size() + " entries, local headers " + i);
    } else if (a[0].equals("write")) {
      boolean stored = a[2].equals("STORED");
      BufferedReader lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
      try (ZipOutputStream z = new ZipOutputStream(new FileOutputStream(a[1]), StandardCharsets.UTF_8)) {
        for (String line; (line = lines.readLine()) != null && !line.isEmpty(); ) {
          String[] parts = line.split(" ", -1);
          byte[] data = Base64.getDecoder().decode(parts[1]);
          ZipEntry e = new ZipEntry(new String(Base64.getDecoder().decode(parts[0]), StandardCharsets.UTF_8));
          if (stored) {
            CRC32 crc = new CRC32();
            crc.update(data);
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            e.setCompressedSize(data.length);
            e.setCrc(crc.getValue());
          } else {
            e.setMethod(ZipEntry.DEFLATED);
          }
          z.putNextEntry(e);
          z.write(data);
          z.closeEntry();
        }
      }
    } else {
      throw new IllegalArgumentException(a[0]);
    }
  }
}
`;

/** An entry as the reference saw it: name, bytes (or UTF-8 of the text it decoded) and method (0 stored, 8 deflated). */
export interface ReferenceEntry {
  name: string;
  data: Buffer;
  method: number;
}

let sourcePath: string | undefined;
function java(args: string[], input?: string): string {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('java (JDK 17+) is required by this spec as the reference ZIP implementation; scripts/setup.sh lists it');
  }
  if (!sourcePath) {
    sourcePath = join(mkdtempSync(join(tmpdir(), 'paystream-zip-reference-')), 'ZipReference.java');
    writeFileSync(sourcePath, SOURCE);
  }
  return execFileSync('java', [sourcePath, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Reads a ZIP file with java.util.zip, checking every entry's CRC; `charset` decodes each entry's bytes as text. */
export function readZipWithJava(path: string, charset?: string): ReferenceEntry[] {
  return java(['read', path, ...(charset ? [charset] : [])])
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [name = '', data = '', method = ''] = line.split(' ');
      return { name: Buffer.from(name, 'base64').toString('utf8'), data: Buffer.from(data, 'base64'), method: Number(method) };
    });
}

/** Writes a ZIP file with java.util.zip, every entry stored or deflated. */
export function writeZipWithJava(path: string, method: 'STORED' | 'DEFLATED', entries: ReadonlyArray<{ name: string; data: Buffer }>): void {
  java(['write', path, method], entries.map((e) => `${Buffer.from(e.name, 'utf8').toString('base64')} ${e.data.toString('base64')}`).join('\n') + '\n\n');
}
