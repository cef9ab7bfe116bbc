import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDataCommand } from '../../src/cli/commands/data.js';
import {
  DEFAULT_DATA_URL,
  archiveDamage,
  downloadDataset,
  downloadFile,
  escapeReason,
  type DownloadProgress,
} from '../../src/data/download.js';
import { KwsError } from '../../src/errors.js';
import { runKws } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';
import { tarBytes, tarGz, writeChecksum } from './tarball.js';

/** Extraction uses the `tar` package; it is a declared dependency, but tell clearly when it is absent. */
const tarInstalled = await import('tar').then(
  () => true,
  () => false,
);

const root = tempDir('download');
const payload = Buffer.from(Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff));
const files: Record<string, Buffer> = {};
/** Bodies served first, one per request, before `files`: a server that sends a damaged archive once. */
const servedOnce: Record<string, Buffer[]> = {};
const requests: string[] = [];
const rangeRequests: string[] = [];
/** When set, the next full response is cut off after this many bytes. */
let cutAfter: number | null = null;
let server: http.Server;
let base = '';

const goodArchive = tarGz([
  { name: 'yes/', type: '5' },
  { name: 'yes/a_nohash_0.wav', content: 'RIFF-a' },
  { name: '_background_noise_/noise.wav', content: 'RIFF-n' },
  { name: 'yes/link.wav', type: '2', linkname: 'a_nohash_0.wav' },
]);
const truncatedArchive = goodArchive.subarray(0, Math.floor(goodArchive.length / 2));

beforeAll(async () => {
  files['/data.bin'] = payload;
  files['/good.tar.gz'] = goodArchive;
  files['/absolute.tar.gz'] = tarGz([
    { name: 'ok.txt', content: 'x' },
    { name: '/tmp/kws-escape-absolute.txt', content: 'x' },
  ]);
  files['/dotdot.tar.gz'] = tarGz([{ name: 'yes/../../escape.txt', content: 'x' }]);
  files['/symlink.tar.gz'] = tarGz([{ name: 'out', type: '2', linkname: '../../outside' }]);
  server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    const body = servedOnce[request.url ?? '']?.shift() ?? files[request.url ?? ''];
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range) {
      rangeRequests.push(request.headers.range!);
      const start = Number(range[1]);
      if (start >= body.length) {
        response.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      response.writeHead(206, {
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'Content-Length': body.length - start,
      });
      response.end(body.subarray(start));
      return;
    }
    response.writeHead(200, { 'Content-Length': body.length });
    if (cutAfter !== null) {
      const cut = cutAfter;
      cutAfter = null;
      response.write(body.subarray(0, cut), () => setTimeout(() => response.socket?.destroy(), 20));
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('downloadFile', () => {
  it('resumes a cut-off download with an HTTP Range request on the .partial file', async () => {
    const file = path.join(root, 'resume', 'data.bin');
    cutAfter = 70_000;
    const first = downloadFile(`${base}/data.bin`, file);
    await expect(first).rejects.toThrow(KwsError);
    await expect(first).rejects.toThrow(/run the command again to resume/);
    const kept = fs.statSync(`${file}.partial`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(payload.length);
    const progress: number[] = [];
    const result = await downloadFile(`${base}/data.bin`, file, (done) => progress.push(done));
    expect(rangeRequests).toContain(`bytes=${kept}-`);
    expect(result).toEqual({ bytes: payload.length, resumedFrom: kept });
    expect(progress[0]).toBe(kept);
    expect(progress.at(-1)).toBe(payload.length);
    expect(fs.readFileSync(file).equals(payload)).toBe(true);
    expect(fs.existsSync(`${file}.partial`)).toBe(false);
  });

  it('finishes when the partial file is already complete (416)', async () => {
    const file = path.join(root, 'complete', 'data.bin');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.partial`, payload);
    expect(await downloadFile(`${base}/data.bin`, file)).toEqual({
      bytes: payload.length,
      resumedFrom: payload.length,
    });
    expect(fs.readFileSync(file).equals(payload)).toBe(true);
  });

  it('reports HTTP errors and unreachable servers in one line', async () => {
    await expect(downloadFile(`${base}/missing.tar.gz`, path.join(root, 'missing', 'x'))).rejects.toThrow(/HTTP 404/);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(downloadFile(`http://127.0.0.1:${port}/x.tar.gz`, path.join(root, 'refused', 'x'))).rejects.toThrow(
      /cannot download .*ECONNREFUSED/,
    );
  });
});

describe('escapeReason', () => {
  it('accepts ordinary entries and links that stay inside', () => {
    expect(escapeReason('yes/a_nohash_0.wav', 'File')).toBeNull();
    expect(escapeReason('./yes/', 'Directory')).toBeNull();
    expect(escapeReason('yes/link.wav', 'SymbolicLink', 'a.wav')).toBeNull();
    expect(escapeReason('yes/link.wav', 'SymbolicLink', '../no/b.wav')).toBeNull();
    expect(escapeReason('yes/hard.wav', 'Link', 'no/b.wav')).toBeNull();
  });

  it('refuses absolute paths, .. and links pointing out', () => {
    expect(escapeReason('/etc/passwd', 'File')).toMatch(/absolute/);
    expect(escapeReason('C:\\x.txt', 'File')).toMatch(/absolute/);
    expect(escapeReason('yes/../../x', 'File')).toMatch(/'\.\.'/);
    expect(escapeReason('out', 'SymbolicLink', '/etc')).toMatch(/absolute/);
    expect(escapeReason('yes/out', 'SymbolicLink', '../../etc')).toMatch(/outside/);
    expect(escapeReason('hard', 'Link', '../x')).toMatch(/outside/);
  });
});

describe.runIf(tarInstalled)('downloadDataset', () => {
  it('downloads and extracts a tar.gz into the destination, removing the archive', async () => {
    const dest = path.join(root, 'good', 'speech');
    const phases = new Set<string>();
    const result = await downloadDataset({ url: `${base}/good.tar.gz`, dest, onProgress: (p) => phases.add(p.phase) });
    expect(result.dest).toBe(dest);
    expect(fs.readFileSync(path.join(dest, 'yes', 'a_nohash_0.wav'), 'utf8')).toBe('RIFF-a');
    expect(fs.readFileSync(path.join(dest, '_background_noise_', 'noise.wav'), 'utf8')).toBe('RIFF-n');
    expect(fs.readlinkSync(path.join(dest, 'yes', 'link.wav'))).toBe('a_nohash_0.wav');
    expect([...phases]).toEqual(['download', 'verify', 'extract']);
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['speech']);
    await expect(downloadDataset({ url: `${base}/good.tar.gz`, dest })).rejects.toThrow(/already exists/);
  });

  it.each(['absolute', 'dotdot', 'symlink'])(
    'refuses an archive with an escaping entry (%s) and keeps nothing',
    async (kind) => {
      const dest = path.join(root, kind, 'speech');
      await expect(downloadDataset({ url: `${base}/${kind}.tar.gz`, dest })).rejects.toThrow(
        /refusing to extract .*outside/,
      );
      expect(fs.existsSync(dest)).toBe(false);
      expect(fs.existsSync('/tmp/kws-escape-absolute.txt')).toBe(false);
      expect(fs.existsSync(path.join(root, 'escape.txt'))).toBe(false);
      expect(fs.readdirSync(path.dirname(dest)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    },
  );
});

it('fetches the archive over https by default', () => {
  expect(DEFAULT_DATA_URL).toBe(
    'https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz',
  );
});

describe('archiveDamage', () => {
  /** A directory, a file of 3000 bytes (six data blocks) and a small one, then the end marker. */
  const tar = tarBytes([
    { name: 'yes/', type: '5' },
    { name: 'yes/a_nohash_0.wav', content: payload.subarray(0, 3000) },
    { name: 'no/b_nohash_0.wav', content: 'RIFF-b' },
  ]);
  const gzip = gzipSync(tar);
  let count = 0;
  const damageOf = (bytes: Uint8Array) => {
    const file = path.join(root, 'verify', `${count++}.tar.gz`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return archiveDamage(file);
  };
  const withByteFlipped = (bytes: Buffer, index: number) => {
    const copy = Buffer.from(bytes);
    copy[index] = copy[index]! ^ 0x55;
    return copy;
  };

  it('passes a complete archive, reporting bytes read of the total', async () => {
    const file = path.join(root, 'verify', 'good.tar.gz');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, gzip);
    const progress: Array<[number, number]> = [];
    expect(await archiveDamage(file, (done, total) => progress.push([done, total]))).toBeNull();
    expect(progress.at(-1)).toEqual([gzip.length, gzip.length]);
  });

  it('passes a multi-member gzip and tar record padding after the end marker', async () => {
    const padded = Buffer.concat([tar, Buffer.alloc(10 * 512)]);
    const members = Buffer.concat([gzipSync(padded.subarray(0, 1000)), gzipSync(padded.subarray(1000))]);
    expect(await damageOf(members)).toBeNull();
  });

  it('finds a truncated gzip stream, also in the second member', async () => {
    expect(await damageOf(gzip.subarray(0, gzip.length - 4))).toBe('gzip stream truncated');
    expect(await damageOf(gzip.subarray(0, 20))).toBe('gzip stream truncated');
    const second = gzipSync(tar.subarray(1000));
    const cutMember = Buffer.concat([gzipSync(tar.subarray(0, 1000)), second.subarray(0, second.length - 1)]);
    expect(await damageOf(cutMember)).toBe('gzip stream truncated');
  });

  it('finds a damaged CRC trailer, length trailer or deflate data', async () => {
    expect(await damageOf(withByteFlipped(gzip, gzip.length - 8))).toBe('gzip CRC mismatch');
    expect(await damageOf(withByteFlipped(gzip, gzip.length - 2))).toBe('gzip length mismatch');
    expect(await damageOf(withByteFlipped(gzip, Math.floor(gzip.length / 2)))).toMatch(/^gzip /);
    expect(await damageOf(Buffer.from('<html>Not Found</html>'))).toBe('not gzip data');
  });

  it('finds a tar without its end-of-archive marker, even when the gzip around it is sound', async () => {
    expect(await damageOf(gzipSync(tar.subarray(0, tar.length - 1024)))).toBe(
      'the tar end-of-archive marker is missing',
    );
    expect(await damageOf(gzipSync(tar.subarray(0, tar.length - 512)))).toBe(
      'the tar end-of-archive marker is missing',
    );
  });

  it('finds a cut tar entry and a damaged tar header', async () => {
    expect(await damageOf(gzipSync(tar.subarray(0, 2 * 512 + 1000)))).toBe('tar entry yes/a_nohash_0.wav is cut short');
    // The third header follows the directory header, the file's header and its six data blocks.
    expect(await damageOf(gzipSync(withByteFlipped(tar, 8 * 512 + 3)))).toBe(
      'tar header checksum mismatch after entry yes/a_nohash_0.wav',
    );
  });

  it('reports a size field it cannot read (base-256, used for files of 8 GiB and more) as damage', async () => {
    const copy = Buffer.from(tar);
    const header = copy.subarray(512, 1024);
    header.fill(0, 124, 136);
    header[124] = 0x80;
    header.writeUInt32BE(3000, 132);
    writeChecksum(header);
    expect(await damageOf(gzipSync(copy))).toBe('tar entry yes/a_nohash_0.wav has an unreadable size');
  });
});

describe.runIf(tarInstalled)('downloadDataset with a damaged or partial archive', () => {
  /** The phases in the order they ran, each run once however many progress calls it made. */
  function phaseLog() {
    const phases: Array<DownloadProgress['phase']> = [];
    const onProgress = ({ phase }: DownloadProgress) => {
      if (phases.at(-1) !== phase) phases.push(phase);
    };
    return { phases, onProgress };
  }
  const requestsFor = (url: string) => requests.filter((request) => request === url).length;
  const expectGoodExtraction = (dest: string) => {
    expect(fs.readFileSync(path.join(dest, 'yes', 'a_nohash_0.wav'), 'utf8')).toBe('RIFF-a');
    expect(fs.readdirSync(path.dirname(dest))).toEqual([path.basename(dest)]);
  };

  it('verifies and extracts an archive already beside the destination without downloading', async () => {
    files['/kept.tar.gz'] = goodArchive;
    const dest = path.join(root, 'kept', 'speech');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(path.join(root, 'kept', 'kept.tar.gz'), goodArchive);
    const { phases, onProgress } = phaseLog();
    const result = await downloadDataset({ url: `${base}/kept.tar.gz`, dest, onProgress });
    expect(requestsFor('/kept.tar.gz')).toBe(0);
    expect(phases).toEqual(['verify', 'extract']);
    expect(result.archiveBytes).toBe(goodArchive.length);
    expectGoodExtraction(dest);
  });

  it('resumes a .partial archive with a Range request, then verifies it', async () => {
    files['/partial.tar.gz'] = goodArchive;
    const dest = path.join(root, 'partial', 'speech');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const kept = 100;
    fs.writeFileSync(path.join(root, 'partial', 'partial.tar.gz.partial'), goodArchive.subarray(0, kept));
    const { phases, onProgress } = phaseLog();
    const notices: string[] = [];
    const result = await downloadDataset({
      url: `${base}/partial.tar.gz`,
      dest,
      onProgress,
      onNotice: (message) => notices.push(message),
    });
    expect(rangeRequests).toContain(`bytes=${kept}-`);
    expect(result).toMatchObject({ archiveBytes: goodArchive.length, resumedFrom: kept });
    expect(phases).toEqual(['download', 'verify', 'extract']);
    expect(notices).toEqual([]);
    expectGoodExtraction(dest);
  });

  it('fetches again from scratch when a resumed .partial turns out to belong to another archive', async () => {
    files['/stale.tar.gz'] = goodArchive;
    const dest = path.join(root, 'stale', 'speech');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const other = tarGz([{ name: 'old/', type: '5' }]);
    fs.writeFileSync(path.join(root, 'stale', 'stale.tar.gz.partial'), other.subarray(0, 100));
    const notices: string[] = [];
    const result = await downloadDataset({
      url: `${base}/stale.tar.gz`,
      dest,
      onNotice: (message) => notices.push(message),
    });
    expect(rangeRequests).toContain('bytes=100-');
    expect(requestsFor('/stale.tar.gz')).toBe(2);
    expect(notices).toHaveLength(1);
    expect(result.resumedFrom).toBe(0);
    expectGoodExtraction(dest);
  });

  it('fetches again an archive served truncated as if complete, before extracting anything', async () => {
    files['/flaky.tar.gz'] = goodArchive;
    servedOnce['/flaky.tar.gz'] = [truncatedArchive];
    const dest = path.join(root, 'flaky', 'speech');
    const { phases, onProgress } = phaseLog();
    const notices: string[] = [];
    await downloadDataset({ url: `${base}/flaky.tar.gz`, dest, onProgress, onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([
      `the archive ${path.join(root, 'flaky', 'flaky.tar.gz')} is damaged (gzip stream truncated); downloading it again`,
    ]);
    expect(requestsFor('/flaky.tar.gz')).toBe(2);
    expect(phases).toEqual(['download', 'verify', 'download', 'verify', 'extract']);
    expectGoodExtraction(dest);
  });

  it('fetches again an archive already on disk whose CRC is damaged', async () => {
    files['/crc.tar.gz'] = goodArchive;
    const dest = path.join(root, 'crc', 'speech');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const damaged = Buffer.from(goodArchive);
    damaged[damaged.length - 6] = damaged[damaged.length - 6]! ^ 0x01;
    fs.writeFileSync(path.join(root, 'crc', 'crc.tar.gz'), damaged);
    const notices: string[] = [];
    await downloadDataset({ url: `${base}/crc.tar.gz`, dest, onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([
      expect.stringMatching(/crc\.tar\.gz is damaged \(gzip CRC mismatch\); downloading it again$/),
    ]);
    expect(requestsFor('/crc.tar.gz')).toBe(1);
    expectGoodExtraction(dest);
  });

  it('fetches again an archive whose tar lacks its end marker', async () => {
    files['/unended.tar.gz'] = goodArchive;
    servedOnce['/unended.tar.gz'] = [gzipSync(gunzipSync(goodArchive).subarray(0, -1024))];
    const dest = path.join(root, 'unended', 'speech');
    const notices: string[] = [];
    await downloadDataset({ url: `${base}/unended.tar.gz`, dest, onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([expect.stringMatching(/\(the tar end-of-archive marker is missing\)/)]);
    expectGoodExtraction(dest);
  });

  it('fails in one line, without a third download or any extraction, when the archive is damaged again', async () => {
    files['/truncated.tar.gz'] = truncatedArchive;
    const dest = path.join(root, 'truncated', 'speech');
    const failure = downloadDataset({ url: `${base}/truncated.tar.gz`, dest });
    await expect(failure).rejects.toThrow(KwsError);
    await expect(failure).rejects.toThrow(
      `the archive downloaded again from ${base}/truncated.tar.gz is damaged too (gzip stream truncated); nothing was extracted`,
    );
    expect(requestsFor('/truncated.tar.gz')).toBe(2);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it('kws data download prints the re-fetch as one kws: line on stderr', async () => {
    files['/cli.tar.gz'] = goodArchive;
    servedOnce['/cli.tar.gz'] = [truncatedArchive];
    const dest = path.join(root, 'cli', 'speech');
    const run = await runKws(registerDataCommand, ['data', 'download', '--url', `${base}/cli.tar.gz`, '--dest', dest]);
    expect(run.error).toBeUndefined();
    const notices = run.stderr.match(/kws: .*\n/g);
    expect(notices).toEqual([
      `kws: the archive ${path.join(root, 'cli', 'cli.tar.gz')} is damaged (gzip stream truncated); downloading it again\n`,
    ]);
    expect(run.stdout).toMatch(/speech: unpacked/);
    expectGoodExtraction(dest);
  });
});
