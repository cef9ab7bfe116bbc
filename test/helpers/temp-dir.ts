/** Temporary directories that vitest removes again, so test runs leave nothing in the system temp folder. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, onTestFinished } from 'vitest';

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The path of a new `kws-<prefix>-…` directory that exists while the tests of the file or describe
 * block it is named in run, and is removed after them, passed or failed. Call it at a file's top
 * level or in a describe body, and use the directory in hooks and tests.
 */
export function tempDir(prefix: string): string {
  const dir = path.join(os.tmpdir(), `kws-${prefix}-${crypto.randomBytes(6).toString('base64url')}`);
  // Made in a hook, not now: a file whose tests are all skipped runs no hooks and would keep it.
  beforeAll(() => {
    fs.mkdirSync(dir, { mode: 0o700 });
  });
  afterAll(() => removeDir(dir));
  return dir;
}

/** A new `kws-<prefix>-…` directory made in a test or its beforeEach, removed when that test finishes, passed or failed. */
export function testTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kws-${prefix}-`));
  onTestFinished(() => removeDir(dir));
  return dir;
}
