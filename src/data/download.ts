/**
 * Fetches and unpacks the Speech Commands archive: resumable download (HTTP Range on a `.partial`
 * file), then gzip-tar extraction with the `tar` package into a staging folder that is swapped in
 * only when complete. Entries that would land outside the destination (absolute paths, `..`,
 * links pointing out) make the whole extraction fail; nothing of such an archive is kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { replaceDirectoryAtomic } from '../atomic.js';
import { KwsError, errorMessage } from '../errors.js';
import * as tar from 'tar';

export const DEFAULT_DATA_URL = 'http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz';
export const DEFAULT_DATA_DEST = 'data/speech_commands_v0.02';

export interface DownloadProgress {
  phase: 'download' | 'extract';
  /** Bytes fetched (download) or compressed bytes read (extract). */
  done: number;
  /** Total bytes when known. */
  total: number | null;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  onProgress?: (progress: DownloadProgress) => void;
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
export async function downloadFile(url: string, file: string, onProgress?: (done: number, total: number | null) => void): Promise<{ bytes: number; resumedFrom: number }> {
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
  const total = resumed ? totalFromContentRange(response.headers.get('content-range')) : Number.isFinite(length) && length > 0 ? length : null;
  let done = start;
  onProgress?.(done, total);
  // Written synchronously chunk by chunk, so whatever arrived before a cut is on disk to resume from.
  const fd = fs.openSync(partial, resumed ? 'a' : 'w');
  try {
    for await (const chunk of response.body) {
      fs.writeSync(fd, chunk);
      done += chunk.length;
      onProgress?.(done, total);
    }
  } catch (error) {
    throw new KwsError(`download of ${url} was interrupted after ${done} bytes (${errorMessage(error)}); run the command again to resume`);
  } finally {
    fs.closeSync(fd);
  }
  if (total !== null && done !== total) {
    throw new KwsError(`download of ${url} stopped at ${done} of ${total} bytes; run the command again to resume`);
  }
  fs.renameSync(partial, file);
  return { bytes: done, resumedFrom: resumed ? start : 0 };
}

/** Extracts a .tar.gz into `dest` (replacing it whole), refusing any entry that would escape it. */
export async function extractArchive(archive: string, dest: string, onProgress?: (done: number, total: number) => void): Promise<void> {
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
      throw new KwsError(`refusing to extract ${archive}: ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} would land outside ${dest} (${refused.slice(0, 3).join('; ')})`);
    }
  });
}

function archiveName(url: string): string {
  let name = '';
  try {
    name = path.posix.basename(new URL(url).pathname);
  } catch {
    throw new KwsError(`--url ${url} is not a valid URL`);
  }
  return name || 'dataset.tar.gz';
}

/** Download (resumable) and extract into `dest`; the archive is kept beside `dest` only until extraction succeeds. */
export async function downloadDataset(options: DownloadOptions): Promise<DownloadResult> {
  const dest = path.resolve(options.dest);
  if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) {
    throw new KwsError(`${options.dest} already exists and is not empty; remove it to download again`);
  }
  const archive = path.join(path.dirname(dest), archiveName(options.url));
  let archiveBytes: number;
  let resumedFrom = 0;
  if (fs.existsSync(archive)) {
    archiveBytes = fs.statSync(archive).size;
  } else {
    const result = await downloadFile(options.url, archive, (done, total) => options.onProgress?.({ phase: 'download', done, total }));
    archiveBytes = result.bytes;
    resumedFrom = result.resumedFrom;
  }
  try {
    await extractArchive(archive, dest, (done, total) => options.onProgress?.({ phase: 'extract', done, total }));
  } catch (error) {
    // Kept so that a retry after fixing (say) disk space does not fetch gigabytes again.
    throw new KwsError(`${errorMessage(error)}; the archive stays at ${archive} (delete it to download again)`);
  }
  fs.rmSync(archive, { force: true });
  return { dest, archiveBytes, resumedFrom };
}
