/**
 * On-disk cache of evaluation features, one file per (data dir, set, data and feature settings).
 * Each record is keyed by the clip's path, size and mtime, so a changed clip is recomputed
 * alone. The file carries a header (settings and the feature code's version) and a SHA-1
 * checksum: a damaged or foreign file, or one the feature code of another version wrote, is
 * rebuilt, never trusted.
 *
 * Layout: "KWSFEAT1" | u32 LE header length | header JSON (space-padded to 4 bytes) |
 * float32 LE features, record-major | SHA-1 of everything before it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import type { FeatureConfig } from '../features/config.js';

const MAGIC = Buffer.from('KWSFEAT1', 'latin1');
const PREAMBLE = MAGIC.length + 4;
const CHECKSUM_BYTES = 20;
const FORMAT_VERSION = 1;

/** `$KWS_CACHE_DIR`, else `$XDG_CACHE_HOME/kws`, else `~/.cache/kws` (the data dir may be read-only). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KWS_CACHE_DIR) return path.resolve(env.KWS_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'kws');
  return path.join(os.homedir(), '.cache', 'kws');
}

/** Which clip a record belongs to, and the version of it that was featurised. */
export interface ClipStamp {
  path: string;
  bytes: number;
  mtimeMs: number;
}

export interface CachedFeatures extends ClipStamp {
  features: Float32Array;
}

/** What a cache file's features were computed with: the settings, and the feature code's version. */
export interface CacheStamp {
  feature: FeatureConfig;
  size: number;
  codeVersion: string;
}

interface CacheHeader extends CacheStamp {
  version: number;
  records: Array<[path: string, bytes: number, mtimeMs: number]>;
}

/** The cache file for one evaluation set; `identity` is everything its contents depend on besides the clips. */
export function featureCachePath(cacheDir: string, set: string, identity: unknown): string {
  const digest = createHash('sha1').update(JSON.stringify(identity)).digest('hex').slice(0, 20);
  return path.join(cacheDir, 'features', `${set}-${digest}.kwsfeat`);
}

function sameFeatureConfig(a: FeatureConfig, b: FeatureConfig): boolean {
  const keys = Object.keys(a) as Array<keyof FeatureConfig>;
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

export type CacheRead =
  | { status: 'missing' }
  | { status: 'damaged'; reason: string }
  | { status: 'stale' }
  | { status: 'ok'; records: Map<string, CachedFeatures> };

export function readFeatureCache(file: string, expected: CacheStamp): CacheRead {
  const { feature, size } = expected;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return { status: 'missing' };
  }
  const damaged = (reason: string): CacheRead => ({ status: 'damaged', reason });
  if (bytes.length < PREAMBLE + CHECKSUM_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
    return damaged('not a kws feature cache');
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const checksum = createHash('sha1').update(body).digest();
  if (!checksum.equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) return damaged('checksum mismatch');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  let header: CacheHeader;
  try {
    header = JSON.parse(bytes.subarray(PREAMBLE, PREAMBLE + headerLength).toString('utf8')) as CacheHeader;
  } catch {
    return damaged('unreadable header');
  }
  if (header.version !== FORMAT_VERSION || header.size !== size || !sameFeatureConfig(header.feature, feature)) {
    return damaged('written for other settings');
  }
  if (header.codeVersion !== expected.codeVersion) return { status: 'stale' };
  const payloadOffset = PREAMBLE + headerLength;
  if (payloadOffset % 4 !== 0 || body.length !== payloadOffset + header.records.length * size * 4)
    return damaged('wrong length');
  // Copy out of the file buffer so the (4-byte aligned) floats can be viewed directly.
  const payload = new Float32Array(body.buffer.slice(body.byteOffset + payloadOffset, body.byteOffset + body.length));
  const records = new Map<string, CachedFeatures>();
  header.records.forEach(([clip, clipBytes, mtimeMs], i) => {
    records.set(clip, { path: clip, bytes: clipBytes, mtimeMs, features: payload.subarray(i * size, (i + 1) * size) });
  });
  return { status: 'ok', records };
}

export function writeFeatureCache(file: string, stamp: CacheStamp, records: readonly CachedFeatures[]): void {
  const header: CacheHeader = {
    version: FORMAT_VERSION,
    ...stamp,
    records: records.map((r) => [r.path, r.bytes, r.mtimeMs]),
  };
  const { size } = stamp;
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((PREAMBLE + Buffer.byteLength(json)) % 4)) % 4);
  const headerBytes = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const payload = new Float32Array(records.length * size);
  records.forEach((record, i) => payload.set(record.features, i * size));
  const body = Buffer.concat([
    MAGIC,
    length,
    headerBytes,
    Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
  ]);
  writeFileAtomic(file, Buffer.concat([body, createHash('sha1').update(body).digest()]));
}
