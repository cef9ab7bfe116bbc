/** Builds the emitted front end with harness.c on the host and runs int16 clips through it. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CMSIS_DIR } from '../cmsis/host.js';
import { tempDir } from '../helpers/temp-dir.js';

export const DEVICE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const STRICT_C_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

/** A maker of fresh empty folders, all under one temporary folder removed after the test file. */
export function freshDirs(prefix: string): () => string {
  const root = tempDir(prefix);
  let counter = 0;
  return () => {
    counter += 1;
    const dir = path.join(root, String(counter));
    fs.mkdirSync(dir);
    return dir;
  };
}

/** `#define NAME value` of a C text, comments dropped. */
export function cDefines(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(/^#define (\w+)(.*)$/gm)) {
    found.set(match[1]!, match[2]!.replace(/\/\*.*\*\//, '').trim());
  }
  return found;
}

/**
 * Compiles `dir`/kws_features.c with the harness; `modelHeader` (a file in `dir`) is included
 * before kws_features.h. Returns the binary's path; throws with gcc's messages on failure.
 */
export function compileFrontEnd(dir: string, modelHeader?: string): string {
  const binary = path.join(dir, 'harness');
  const model = modelHeader ? ['-I', CMSIS_DIR, `-DKWS_MODEL_HEADER="${modelHeader}"`] : [];
  const result = spawnSync(
    'gcc',
    [
      ...STRICT_C_FLAGS,
      '-O2',
      '-I',
      dir,
      ...model,
      path.join(dir, 'kws_features.c'),
      path.join(DEVICE_DIR, 'harness.c'),
      '-lm',
      '-o',
      binary,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`gcc failed:\n${result.error?.message ?? result.stderr}`);
  return binary;
}

export interface HarnessOutput {
  /** kws_features_compute of each clip, back to back. */
  clips: Int8Array;
  /** kws_features_frame of each frame's window, in the same layout. */
  frames: Int8Array;
}

/** Runs `clipCount` clips (back to back in `pcm`) through the harness; `featuresSize` is KWS_FEATURES_SIZE. */
export function runFrontEnd(binary: string, pcm: Int16Array, featuresSize: number): HarnessOutput {
  const result = spawnSync(binary, {
    input: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength),
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) throw new Error(`harness exited with ${result.status}: ${String(result.stderr)}`);
  const output = new Int8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.length);
  const clipCount = output.length / (2 * featuresSize);
  const clips = new Int8Array(clipCount * featuresSize);
  const frames = new Int8Array(clipCount * featuresSize);
  for (let n = 0; n < clipCount; n++) {
    const start = 2 * n * featuresSize;
    clips.set(output.subarray(start, start + featuresSize), n * featuresSize);
    frames.set(output.subarray(start + featuresSize, start + 2 * featuresSize), n * featuresSize);
  }
  return { clips, frames };
}
