/**
 * Fetches and unpacks the Speech Commands archive: resumable download (HTTP Range on a `.partial`
 * file), a streamed check that the archive is complete (every gzip member's CRC and length, and a
 * tar that ends with its end-of-archive marker), then gzip-tar extraction with the `tar` package
 * into a staging folder that is swapped in only when complete. A damaged archive is fetched again
 * once. Entries that would land outside the destination (absolute paths, `..`, links pointing
 * out) make the whole extraction fail; nothing of such an archive is kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { replaceDirectoryAtomic } from '../atomic.js';
import { KwsError, errorMessage } from '../errors.js';
import * as tar from 'tar';

export const DEFAULT_DATA_URL =
  'https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz';
export const DEFAULT_DATA_DEST = 'data/speech_commands_v0.02';

export interface DownloadProgress {
  phase: 'download' | 'verify' | 'extract';
  /** Bytes fetched (download) or compressed bytes read (verify, extract). */
  done: number;
  /** Total bytes when known. */
  total: number | null;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** One-line notes for the user, such as a damaged archive being fetched again. */
  onNotice?: (message: string) => void;
}

export interface DownloadResult {
  dest: string;
  archiveBytes: number;
  /** Bytes of an earlier partial download that were kept (0 for a fresh start). */
  resumedFrom: number;
}

/** Why an archive entry may not be extracted under the destination, or null when it is safe. */
export function escapeReason(entryPath: string, type: string, linkpath?: string): string | null {
  const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:/.test(p);
  const leaves = (p: string) => {
    const normal = path.posix.normalize(p);
    return normal === '..' || normal.startsWith('../');
  };
  const name = entryPath.replace(/\\/g, '/');
  if (isAbsolute(name)) return 'absolute path';
  if (name.split('/').includes('..')) return "path contains '..'";
  if (type === 'SymbolicLink' || type === 'Link') {
    const target = (linkpath ?? '').replace(/\\/g, '/');
    if (isAbsolute(target)) return `${type === 'Link' ? 'hard' : 'symbolic'} link to an absolute path (${target})`;
    // A symlink's target is relative to its own folder; a hard link's to the archive root.
    const resolved = type === 'SymbolicLink' ? path.posix.join(path.posix.dirname(name), target) : target;
    if (leaves(resolved)) return `link pointing outside the destination (${target})`;
  }
  return null;
}

function counter(onChunk: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk.length);
      callback(null, chunk);
    },
  });
}

function totalFromContentRange(header: string | null): number | null {
  const match = header ? /\/(\d+)\s*$/.exec(header) : null;
  return match ? Number(match[1]) : null;
}

/**
 * Downloads `url` to `file`, appending to `file.partial` from where an earlier attempt stopped
 * when the server honours Range; the partial file is renamed to `file` when complete.
 */
export async function downloadFile(
  url: string,
  file: string,
  onProgress?: (done: number, total: number | null) => void,
): Promise<{ bytes: number; resumedFrom: number }> {
  const partial = `${file}.partial`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let start = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  let response: Response;
  try {
    response = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {} });
  } catch (error) {
    throw new KwsError(`cannot download ${url} (${errorMessage((error as { cause?: unknown }).cause ?? error)})`);
  }
  if (response.status === 416 && start > 0 && totalFromContentRange(response.headers.get('content-range')) === start) {
    // The earlier attempt had already fetched everything.
    fs.renameSync(partial, file);
    return { bytes: start, resumedFrom: start };
  }
  if (!response.ok || !response.body) {
    throw new KwsError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const resumed = response.status === 206 && start > 0;
  // A server that ignores Range sends the whole file again: start over.
  if (!resumed) start = 0;
  const length = Number(response.headers.get('content-length'));
  const total = resumed
    ? totalFromContentRange(response.headers.get('content-range'))
    : Number.isFinite(length) && length > 0
      ? length
      : null;
  let done = start;
  onProgress?.(done, total);
  // Written synchronously chunk by chunk, so whatever arrived before a cut is on disk to resume from.
  const fd = fs.openSync(partial, resumed ? 'a' : 'w');
  try {
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      fs.writeSync(fd, chunk);
      done += chunk.length;
      onProgress?.(done, total);
    }
  } catch (error) {
    throw new KwsError(
      `download of ${url} was interrupted after ${done} bytes (${errorMessage(error)}); run the command again to resume`,
    );
  } finally {
    fs.closeSync(fd);
  }
  if (total !== null && done !== total) {
    throw new KwsError(`download of ${url} stopped at ${done} of ${total} bytes; run the command again to resume`);
  }
  fs.renameSync(partial, file);
  return { bytes: done, resumedFrom: resumed ? start : 0 };
}

const TAR_BLOCK = 512;

/** A tar header field of octal digits (padded with NULs or spaces), or null when it holds anything else. */
function octalField(header: Buffer, offset: number, length: number): number | null {
  const text = (header.toString('latin1', offset, offset + length).split('\0')[0] ?? '').trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : null;
}

/**
 * Follows a tar stream header by header without keeping it: every header's checksum must hold,
 * every entry's data must be there in full, and the end-of-archive marker (two zero blocks) must
 * follow. What comes after the marker (record padding) is passed over. Damage is recorded rather
 * than thrown, so that the gunzip in front of it finishes and a CRC error, the likelier cause of
 * a garbled tar, is the one reported.
 */
class TarCompletenessCheck extends Writable {
  private readonly header = Buffer.alloc(TAR_BLOCK);
  private headerBytes = 0;
  /** Data of the current entry, padded to whole blocks, still to pass over. */
  private entryBytesLeft = 0;
  private entryName = '';
  private zeroBlocks = 0;
  private ended = false;
  private damageFound: string | null = null;

  /** What is wrong with the tar stream written so far, or null when it ended properly. */
  get damage(): string | null {
    if (this.damageFound !== null || this.ended) return this.damageFound;
    if (this.entryBytesLeft > 0) return `tar entry ${this.entryName} is cut short`;
    return 'the tar end-of-archive marker is missing';
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    let offset = 0;
    while (offset < chunk.length && !this.ended && this.damageFound === null) {
      if (this.entryBytesLeft > 0) {
        const skipped = Math.min(this.entryBytesLeft, chunk.length - offset);
        this.entryBytesLeft -= skipped;
        offset += skipped;
        continue;
      }
      const copied = chunk.copy(this.header, this.headerBytes, offset, offset + TAR_BLOCK - this.headerBytes);
      this.headerBytes += copied;
      offset += copied;
      if (this.headerBytes === TAR_BLOCK) {
        this.headerBytes = 0;
        this.readHeader();
      }
    }
    callback();
  }

  private readHeader(): void {
    if (this.header.every((byte) => byte === 0)) {
      this.zeroBlocks += 1;
      this.ended = this.zeroBlocks === 2;
      return;
    }
    // A lone zero block between entries is tolerated, as the extracting `tar` package does.
    this.zeroBlocks = 0;
    // The checksum is the byte sum of the header with its own 8-byte field counted as spaces.
    let sum = 8 * 0x20;
    this.header.forEach((byte, index) => {
      if (index < 148 || index >= 156) sum += byte;
    });
    if (octalField(this.header, 148, 8) !== sum) {
      const where = this.entryName ? `after entry ${this.entryName}` : 'at the start';
      this.damageFound = `tar header checksum mismatch ${where}`;
      return;
    }
    const name = this.header.toString('utf8', 0, 100).split('\0')[0] ?? '';
    const size = octalField(this.header, 124, 12);
    if (size === null) {
      this.damageFound = `tar entry ${name} has an unreadable size`;
      return;
    }
    this.entryName = name;
    this.entryBytesLeft = Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
}

/** The user's words for zlib's gunzip errors, or null for errors that are not about the data. */
function gzipDamage(error: unknown): string | null {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !code.startsWith('Z_')) return null;
  const reasons: Record<string, string> = {
    'unexpected end of file': 'gzip stream truncated',
    'incorrect data check': 'gzip CRC mismatch',
    'incorrect length check': 'gzip length mismatch',
    'incorrect header check': 'not gzip data',
  };
  return reasons[String(message)] ?? `gzip data corrupt: ${String(message)}`;
}

/**
 * Why `archive` is not a complete .tar.gz, or null when it is: the whole gzip stream (every
 * member) must decompress with correct CRC-32 and length, and the tar inside must end properly.
 * Streamed, so the archive is never held in memory.
 */
export async function archiveDamage(
  archive: string,
  onProgress?: (done: number, total: number) => void,
): Promise<string | null> {
  const total = fs.statSync(archive).size;
  let done = 0;
  const tarCheck = new TarCompletenessCheck();
  try {
    await pipeline(
      fs.createReadStream(archive),
      counter((bytes) => {
        done += bytes;
        onProgress?.(done, total);
      }),
      createGunzip(),
      tarCheck,
    );
  } catch (error) {
    const damage = gzipDamage(error);
    if (damage === null) throw new KwsError(`cannot read ${archive}: ${errorMessage(error)}`);
    return damage;
  }
  return tarCheck.damage;
}

/** Extracts a .tar.gz into `dest` (replacing it whole), refusing any entry that would escape it. */
export async function extractArchive(
  archive: string,
  dest: string,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const total = fs.statSync(archive).size;
  let done = 0;
  await replaceDirectoryAtomic(dest, async (staging) => {
    const refused: string[] = [];
    try {
      await pipeline(
        fs.createReadStream(archive),
        counter((bytes) => {
          done += bytes;
          onProgress?.(done, total);
        }),
        tar.extract({
          cwd: staging,
          filter: (entryPath, entry) => {
            const header = entry as { type: string; linkpath?: string };
            const reason = escapeReason(entryPath, header.type, header.linkpath);
            if (reason) refused.push(`${entryPath}: ${reason}`);
            return reason === null;
          },
        }),
      );
    } catch (error) {
      throw new KwsError(`cannot extract ${archive}: ${errorMessage(error)} (is it a .tar.gz archive?)`);
    }
    if (refused.length > 0) {
      throw new KwsError(
        `refusing to extract ${archive}: ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} ` +
          `would land outside ${dest} (${refused.slice(0, 3).join('; ')})`,
      );
    }
  });
}

function archiveName(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    throw new KwsError(`--url ${url} is not a valid URL`);
  }
  return path.posix.basename(pathname) || 'dataset.tar.gz';
}

/**
 * Leaves a verified copy of `url` at `archive`. An archive already there is verified first; a
 * `.partial` one is resumed. A damaged archive is deleted and fetched again from scratch, once.
 */
async function fetchVerifiedArchive(
  options: DownloadOptions,
  archive: string,
  shownArchive: string,
): Promise<Omit<DownloadResult, 'dest'>> {
  let resumedFrom = 0;
  const download = async () => {
    const fetched = await downloadFile(options.url, archive, (done, total) =>
      options.onProgress?.({ phase: 'download', done, total }),
    );
    resumedFrom = fetched.resumedFrom;
  };
  const verify = () => archiveDamage(archive, (done, total) => options.onProgress?.({ phase: 'verify', done, total }));

  if (!fs.existsSync(archive)) await download();
  const damage = await verify();
  if (damage !== null) {
    fs.rmSync(archive, { force: true });
    fs.rmSync(`${archive}.partial`, { force: true });
    options.onNotice?.(`the archive ${shownArchive} is damaged (${damage}); downloading it again`);
    await download();
    const again = await verify();
    if (again !== null) {
      fs.rmSync(archive, { force: true });
      throw new KwsError(
        `the archive downloaded again from ${options.url} is damaged too (${again}); nothing was extracted`,
      );
    }
  }
  return { archiveBytes: fs.statSync(archive).size, resumedFrom };
}

/**
 * Download (resumable), verify and extract into `dest`; the archive is kept beside `dest` only
 * until extraction succeeds.
 */
export async function downloadDataset(options: DownloadOptions): Promise<DownloadResult> {
  const dest = path.resolve(options.dest);
  if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) {
    throw new KwsError(`${options.dest} already exists and is not empty; remove it to download again`);
  }
  const name = archiveName(options.url);
  const archive = path.join(path.dirname(dest), name);
  const { archiveBytes, resumedFrom } = await fetchVerifiedArchive(
    options,
    archive,
    path.join(path.dirname(options.dest), name),
  );
  try {
    await extractArchive(archive, dest, (done, total) => options.onProgress?.({ phase: 'extract', done, total }));
  } catch (error) {
    // Kept so that a retry after fixing (say) disk space does not fetch gigabytes again.
    throw new KwsError(`${errorMessage(error)}; the archive stays at ${archive} (delete it to download again)`);
  }
  fs.rmSync(archive, { force: true });
  return { dest, archiveBytes, resumedFrom };
}
