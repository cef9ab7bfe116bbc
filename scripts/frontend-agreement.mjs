#!/usr/bin/env node
// The emitted C feature front end against the TypeScript features on real speech: every clip of a
// Speech Commands folder (the word folders, not _background_noise_) through kws_features_compute,
// compiled with gcc -std=c99 -pedantic, and through createFeatureExtractor + quantizeFeatures, for
// the default feature config (49 x 10 MFCC) at 0..3 fractional bits. Prints clips, values compared,
// % identical and the largest |difference| per int8 format.
// With --train-dir R (a run `kws quantize` has quantised), its feature settings and input format
// instead, and each clip's C features also go through the run's emitted network (kws_run): the
// predicted label is compared with `kws predict --quantized` (the TypeScript features through
// the integer simulator).
// Needs a build: `npm run build`, or `--dist DIR` for one made with `npx tsc -p tsconfig.json --outDir DIR`
// (outside the repository, DIR's parent needs a package.json with "type": "module" and node_modules).
// Usage: node scripts/frontend-agreement.mjs [--data-dir DIR] [--limit N] [--dist DIR] [--train-dir R] [--cmsis-nn DIR]
//   defaults: ../shared/data/speech_commands_test_v0.02, every clip, ./dist (paths from the repository)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.resolve(repo, argument('--dist', 'dist'));
const dataDir = path.resolve(repo, argument('--data-dir', '../shared/data/speech_commands_test_v0.02'));
const limit = Number(argument('--limit', 'Infinity'));
const harness = path.join(repo, 'test/device/harness.c');
const trainDir = argument('--train-dir', undefined);
// For an s8 run, ARM's current CMSIS-NN (kws has no portable s8 kernels); q7 runs use the portable ones.
const cmsisNnFor = (target) =>
  argument('--cmsis-nn', target === 'cmsis-nn-s8' ? path.join(repo, '../shared/third_party/cmsis-nn') : undefined);
const PCM16_FULL_SCALE = 32768;

const load = (module) => import(pathToFileURL(path.join(dist, module)).href);
const { emitFrontEnd } = await load('device/frontend-c.js');
const { readWav, fitLength } = await load('audio/wav.js');
const { DEFAULT_FEATURE_CONFIG, featureGeometry } = await load('features/config.js');
const { createFeatureExtractor } = await load('features/extractor.js');
const { powerOfTwo, quantizeFeaturesAs } = await load('features/quantize.js');
const { loadRunConfig } = await load('run/config.js');
const { RunDir } = await load('run/layout.js');
const { openQuantizedNetwork } = await load('quant/store.js');
const { deployedClassifier, emitNetworkC, inputQuantizationOf, targetOf } = await load('quant/deployed.js');
const { kernelBuild } = await load('firmware/kernels.js');
const { BOARDS } = await load('firmware/boards.js');

if (!fs.existsSync(dataDir)) {
  console.error(`frontend-agreement: no data folder ${dataDir} (use --data-dir)`);
  process.exit(1);
}
if (!(limit >= 1)) {
  console.error(`frontend-agreement: --limit must be a positive number (got ${argument('--limit')})`);
  process.exit(2);
}

const run =
  trainDir === undefined
    ? undefined
    : (() => {
        const dir = new RunDir(path.resolve(trainDir));
        return openQuantizedNetwork(dir, loadRunConfig(dir));
      })();
const network = run?.network;
const config = network ? network.feature : { ...DEFAULT_FEATURE_CONFIG };
// The run's input format, or power-of-two formats with 0..3 fractional bits.
const FORMATS = network ? [inputQuantizationOf(network)] : [0, 1, 2, 3].map(powerOfTwo);
const formatName = (input) =>
  input.kind === 'power-of-two' ? `Q${7 - input.decBits}.${input.decBits}` : `s8 zp ${input.zeroPoint}`;
const { desiredSamples } = featureGeometry(config);
const extractor = createFeatureExtractor(config, 'auto');

// Word folders in name order, their WAVs in name order, up to --limit clips.
const files = fs
  .readdirSync(dataDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== '_background_noise_' && !entry.name.startsWith('.'))
  .map((entry) => entry.name)
  .sort()
  .flatMap((word) =>
    fs
      .readdirSync(path.join(dataDir, word))
      .filter((name) => name.endsWith('.wav'))
      .sort()
      .map((name) => path.join(dataDir, word, name)),
  )
  .slice(0, limit);

// The C reads int16, so only 16-bit mono clips at the model's rate compare sample for sample.
const clips = [];
const skipped = [];
for (const file of files) {
  let wav;
  try {
    wav = readWav(file);
  } catch (error) {
    skipped.push(`${path.relative(dataDir, file)} (${error.message})`);
    continue;
  }
  if (wav.format !== '16-bit PCM' || wav.channels !== 1 || wav.sampleRate !== config.sampleRate) {
    skipped.push(`${path.relative(dataDir, file)} (${wav.format}, ${wav.channels} channels, ${wav.sampleRate} Hz)`);
    continue;
  }
  clips.push(fitLength(wav.samples, desiredSamples));
}
const pcm = new Int16Array(clips.length * desiredSamples);
const features = new Float32Array(clips.length * extractor.size);
clips.forEach((samples, n) => {
  // decode_wav's int16 / 32768 is exact, so this gives the file's samples back.
  for (let i = 0; i < desiredSamples; i++) pcm[n * desiredSamples + i] = Math.round(samples[i] * PCM16_FULL_SCALE);
  extractor.compute(samples, features.subarray(n * extractor.size, (n + 1) * extractor.size));
});

/** kws_features_compute of every clip, from the front end emitted for the int8 format `input`. */
function runC(input, dir) {
  emitFrontEnd(config, input, dir);
  const binary = path.join(dir, 'harness');
  const flags = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-I', dir];
  const build = spawnSync('gcc', [...flags, path.join(dir, 'kws_features.c'), harness, '-lm', '-o', binary], {
    encoding: 'utf8',
  });
  if (build.error || build.status !== 0) {
    throw new Error(`gcc failed: ${build.error ? build.error.message : build.stderr}`);
  }
  const run = spawnSync(binary, { input: new Uint8Array(pcm.buffer), maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`harness exited with ${run.status}: ${run.stderr}`);
  // Per clip: kws_features_compute, then kws_features_frame of each window; the first half is kept.
  const output = new Int8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.length);
  const size = extractor.size;
  const computed = new Int8Array(clips.length * size);
  let frameMismatches = 0;
  for (let n = 0; n < clips.length; n++) {
    const clip = output.subarray(2 * n * size, (2 * n + 1) * size);
    const frames = output.subarray((2 * n + 1) * size, (2 * n + 2) * size);
    computed.set(clip, n * size);
    for (let i = 0; i < size; i++) if (clip[i] !== frames[i]) frameMismatches++;
  }
  return { computed, frameMismatches };
}

/** Per clip, the label the C front end + the run's emitted network (kws_run, portable kernels) give. */
function labelsFromC(dir) {
  emitNetworkC(network, dir);
  const source = path.join(dir, 'label-harness.c');
  fs.writeFileSync(
    source,
    `#include <stdio.h>
#include "${network.architecture}.h"
#include "kws_features.h"
static int16_t pcm[KWS_AUDIO_SAMPLES];
static int8_t features[KWS_INPUT_SIZE];
static int8_t logits[KWS_OUTPUT_SIZE];
int main(void) {
  while (fread(pcm, sizeof pcm[0], KWS_AUDIO_SAMPLES, stdin) == KWS_AUDIO_SAMPLES) {
    kws_features_compute(pcm, features);
    kws_run(features, logits);
    int best = 0;
    for (int i = 1; i < KWS_OUTPUT_SIZE; i++) if (logits[i] > logits[best]) best = i;
    putchar(best);
  }
  return 0;
}
`,
  );
  const binary = path.join(dir, 'label-harness');
  // The portable kernels for the q7 target; ARM's current CMSIS-NN (--cmsis-nn) for s8.
  const kernels = kernelBuild(targetOf(network), BOARDS.host, { cmsisNn: cmsisNnFor(targetOf(network)) });
  const sources = [source, path.join(dir, 'kws_features.c'), path.join(dir, `${network.architecture}.c`)];
  const includes = [dir, ...kernels.includeDirs].flatMap((include) => ['-I', include]);
  // ARM's legacy kernels on the host need stand-ins for the Cortex-M intrinsics (firmware/kernels.ts).
  for (const [name, text] of Object.entries(kernels.headers)) fs.writeFileSync(path.join(dir, name), text);
  const hostFlags = [...kernels.defines.map((define) => `-D${define}`), ...kernels.cflags.flatMap((f) => f.split(' '))];
  const build = spawnSync(
    'gcc',
    ['-std=c99', '-O2', ...hostFlags, ...includes, ...sources, ...kernels.sources, '-lm', '-o', binary],
    {
      encoding: 'utf8',
    },
  );
  if (build.error || build.status !== 0)
    throw new Error(`gcc failed: ${build.error ? build.error.message : build.stderr}`);
  const result = spawnSync(binary, { input: new Uint8Array(pcm.buffer), maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`label harness exited with ${result.status}: ${result.stderr}`);
  return Int8Array.from(result.stdout);
}

console.log(
  `front end (C, float32) vs TypeScript features: ${config.feature} ${extractor.frames} x ${extractor.coefficients}, ` +
    `${clips.length} clips from ${dataDir}` +
    (skipped.length ? `, ${skipped.length} skipped (unreadable, or not 16-bit mono at ${config.sampleRate} Hz)` : ''),
);
const WIDTHS = [7, 6, 9, 10, 7, 10];
const row = (cells) => cells.map((cell, i) => String(cell).padEnd(WIDTHS[i] ?? 0)).join('  ');
console.log(row(['int8', 'clips', 'values', 'identical', 'differ', 'max |diff|', 'kws_features_frame = compute rows']));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-frontend-agreement-'));
try {
  for (const [index, input] of FORMATS.entries()) {
    const dir = path.join(scratch, String(index));
    const { computed, frameMismatches } = runC(input, dir);
    const expected = quantizeFeaturesAs(input, features);
    let identical = 0;
    let maxDifference = 0;
    for (let i = 0; i < expected.length; i++) {
      const difference = Math.abs(expected[i] - computed[i]);
      if (difference === 0) identical++;
      if (difference > maxDifference) maxDifference = difference;
    }
    console.log(
      row([
        formatName(input),
        clips.length,
        expected.length,
        `${((100 * identical) / expected.length).toFixed(4)}%`,
        expected.length - identical,
        maxDifference,
        frameMismatches === 0 ? 'yes' : `no (${frameMismatches} values differ)`,
      ]),
    );
    if (network) {
      const fromC = labelsFromC(dir);
      const predicted = deployedClassifier(network).predict(features);
      const same = predicted.reduce((total, label, n) => total + (label === fromC[n] ? 1 : 0), 0);
      console.log(
        `labels: C front end + kws_run equal kws predict --quantized on ${same} of ${clips.length} clips ` +
          `(${((100 * same) / clips.length).toFixed(2)}%), ${trainDir}`,
      );
    }
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
for (const line of skipped) console.log(`skipped: ${line}`);
