/** A minimal ustar writer for tests, so archives with hostile entries can be built byte by byte. */
import { gzipSync } from 'node:zlib';

export interface TarEntrySpec {
  name: string;
  /** '0' file, '5' directory, '2' symbolic link, '1' hard link. */
  type?: '0' | '5' | '2' | '1';
  content?: Uint8Array | string;
  linkname?: string;
}

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value.slice(0, length), offset, length, 'utf8');
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
  field(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** Sets a header's checksum: the byte sum of the header with the checksum field counted as spaces. */
export function writeChecksum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
}

/** The uncompressed tar, ending with the two zero blocks of the end-of-archive marker. */
export function tarBytes(entries: readonly TarEntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? '0';
    const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : Buffer.from(entry.content ?? []);
    const size = type === '0' ? content.length : 0;
    const header = Buffer.alloc(512);
    field(header, 0, 100, entry.name);
    octal(header, 100, 8, type === '5' ? 0o755 : 0o644);
    octal(header, 108, 8, 0);
    octal(header, 116, 8, 0);
    octal(header, 124, 12, size);
    octal(header, 136, 12, 1_700_000_000);
    field(header, 156, 1, type);
    field(header, 157, 100, entry.linkname ?? '');
    field(header, 257, 6, 'ustar\0');
    field(header, 263, 2, '00');
    writeChecksum(header);
    blocks.push(header);
    if (size > 0) blocks.push(content, Buffer.alloc((512 - (size % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function tarGz(entries: readonly TarEntrySpec[]): Buffer {
  return gzipSync(tarBytes(entries));
}
