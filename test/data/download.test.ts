import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadDataset, downloadFile, escapeReason } from '../../src/data/download.js';
import { KwsError } from '../../src/errors.js';
import { makeTempDir } from './helpers.js';
import { tarGz } from './tarball.js';

/** Extraction uses the `tar` package; it is a declared dependency, but tell clearly when it is absent. */
const tarInstalled = await import('tar' as string).then(
  () => true,
  () => false,
);

const root = makeTempDir('download');
const payload = Buffer.from(Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff));
const files: Record<string, Buffer> = {};
const rangeRequests: string[] = [];
/** When set, the next full response is cut off after this many bytes. */
let cutAfter: number | null = null;
let server: http.Server;
let base = '';

beforeAll(async () => {
  files['/data.bin'] = payload;
  files['/good.tar.gz'] = tarGz([
    { name: 'yes/', type: '5' },
    { name: 'yes/a_nohash_0.wav', content: 'RIFF-a' },
    { name: '_background_noise_/noise.wav', content: 'RIFF-n' },
    { name: 'yes/link.wav', type: '2', linkname: 'a_nohash_0.wav' },
  ]);
  files['/absolute.tar.gz'] = tarGz([{ name: 'ok.txt', content: 'x' }, { name: '/tmp/kws-escape-absolute.txt', content: 'x' }]);
  files['/dotdot.tar.gz'] = tarGz([{ name: 'yes/../../escape.txt', content: 'x' }]);
  files['/symlink.tar.gz'] = tarGz([{ name: 'out', type: '2', linkname: '../../outside' }]);
  server = http.createServer((request, response) => {
    const body = files[request.url ?? ''];
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
      response.writeHead(206, { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Content-Length': body.length - start });
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
  fs.rmSync(root, { recursive: true, force: true });
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
    expect(await downloadFile(`${base}/data.bin`, file)).toEqual({ bytes: payload.length, resumedFrom: payload.length });
    expect(fs.readFileSync(file).equals(payload)).toBe(true);
  });

  it('reports HTTP errors and unreachable servers in one line', async () => {
    await expect(downloadFile(`${base}/missing.tar.gz`, path.join(root, 'missing', 'x'))).rejects.toThrow(/HTTP 404/);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(downloadFile(`http://127.0.0.1:${port}/x.tar.gz`, path.join(root, 'refused', 'x'))).rejects.toThrow(/cannot download .*ECONNREFUSED/);
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
    expect([...phases]).toEqual(['download', 'extract']);
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['speech']);
    await expect(downloadDataset({ url: `${base}/good.tar.gz`, dest })).rejects.toThrow(/already exists/);
  });

  it.each(['absolute', 'dotdot', 'symlink'])('refuses an archive with an escaping entry (%s) and keeps nothing', async (kind) => {
    const dest = path.join(root, kind, 'speech');
    await expect(downloadDataset({ url: `${base}/${kind}.tar.gz`, dest })).rejects.toThrow(/refusing to extract .*outside/);
    expect(fs.existsSync(dest)).toBe(false);
    expect(fs.existsSync('/tmp/kws-escape-absolute.txt')).toBe(false);
    expect(fs.existsSync(path.join(root, 'escape.txt'))).toBe(false);
    expect(fs.readdirSync(path.dirname(dest)).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
});
