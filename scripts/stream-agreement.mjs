#!/usr/bin/env node
// The emitted streaming detector (kws_stream.c + kws_features.c + the network's C, compiled with
// gcc -std=c99 -pedantic and the portable kernels of src/firmware/cmsis-nn) against
// `kws detect --quantized --json` on one WAV: both give their detection lines, and the script
// counts how many agree. A second C build reads
// the TypeScript int8 frames instead of running its float32 front end, to tell front-end
// differences from stream-logic ones.
// Needs a trained and quantised run, and a build: `npm run build`, or `--dist DIR` for one made with
// `npx tsc -p tsconfig.json --outDir DIR` (DIR's parent needs a package.json with "type": "module",
// node_modules and models).
// Usage: node scripts/stream-agreement.mjs --train-dir RUN --stream STREAM.wav [--dist DIR]
//          [--hop-ms MS] [--average-window-ms MS] [--threshold P] [--suppression-ms MS] [--chunk N]
//   defaults: kws detect's operating point, chunks of 4096 samples, ./dist (paths from the repository)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

function fail(message, code = 1) {
  console.error(`stream-agreement: ${message}`);
  process.exit(code);
}

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.resolve(repo, argument('--dist', 'dist'));
const trainDir = argument('--train-dir');
const streamPath = argument('--stream');
if (!trainDir || !streamPath) fail('give --train-dir RUN and --stream STREAM.wav', 2);
const chunk = Number(argument('--chunk', '4096'));
if (!(Number.isInteger(chunk) && chunk >= 1 && chunk <= 65536)) fail(`--chunk must be 1 to 65536 (got ${chunk})`, 2);
const optional = (name) => (argument(name) === undefined ? undefined : Number(argument(name)));
const settings = {
  hopMs: optional('--hop-ms'),
  averageWindowMs: optional('--average-window-ms'),
  threshold: optional('--threshold'),
  suppressionMs: optional('--suppression-ms'),
};
const cmsisDir = path.join(repo, 'src/firmware/cmsis-nn');
const harness = path.join(repo, 'test/device/stream-harness.c');
const PCM16_FULL_SCALE = 32768;

const load = (module) => import(pathToFileURL(path.join(dist, module)).href);
const { loadQuantizedNetwork } = await load('quant/store.js');
const { RunDir } = await load('run/layout.js');
const { emitC } = await load('quant/emit-c.js');
const { emitFrontEnd } = await load('device/frontend-c.js');
const { emitStream } = await load('device/stream-c.js');
const { DEFAULT_POSTERIOR_SETTINGS } = await load('detect/posteriors.js');
const { readWav } = await load('audio/wav.js');
const { featureGeometry } = await load('features/config.js');
const { createFeatureExtractor } = await load('features/extractor.js');
const { powerOfTwo, quantizeFeatures } = await load('features/quantize.js');

const { network } = loadQuantizedNetwork(new RunDir(path.resolve(trainDir)));
const wav = readWav(streamPath);
if (wav.format !== '16-bit PCM' || wav.channels !== 1 || wav.sampleRate !== network.feature.sampleRate) {
  fail(
    `${streamPath}: need 16-bit mono at ${network.feature.sampleRate} Hz (got ${wav.format}, ${wav.channels} channels, ${wav.sampleRate} Hz)`,
  );
}
// decode_wav's int16 / 32768 is exact, so this gives the file's samples back.
const pcm = Int16Array.from(wav.samples, (v) => Math.round(v * PCM16_FULL_SCALE));

/** A `kws detect --json` detection line from the C's integers. */
function cLine(sample, label, sum, windows) {
  const time = Math.round((sample / network.feature.sampleRate) * 1000) / 1000;
  const score = Math.round((sum / (128 * windows)) * 10000) / 10000;
  return JSON.stringify({ time_s: time, label: network.labels[label], score });
}

function gcc(args) {
  const result = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', ...args], {
    encoding: 'utf8',
  });
  if (result.error || result.status !== 0) fail(`gcc failed: ${result.error ? result.error.message : result.stderr}`);
}

/** Builds the harness (with its front end, or reading frames from a file) and runs the stream through it. */
function runC(dir, framesFile) {
  const binary = path.join(dir, framesFile ? 'stream-frames' : 'stream-audio');
  gcc([
    `-DKWS_MODEL_HEADER="${network.architecture}.h"`,
    ...(framesFile ? ['-DKWS_FRAMES_FROM_FILE'] : []),
    '-I',
    dir,
    '-I',
    cmsisDir,
    path.join(dir, `${network.architecture}.c`),
    path.join(cmsisDir, 'arm_nnfunctions.c'),
    path.join(dir, 'kws_stream.c'),
    ...(framesFile ? [] : [path.join(dir, 'kws_features.c')]),
    harness,
    '-lm',
    '-o',
    binary,
  ]);
  const started = performance.now();
  const run = spawnSync(binary, [String(chunk)], {
    input: new Uint8Array(pcm.buffer),
    env: framesFile ? { ...process.env, KWS_FRAMES: framesFile } : process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) fail(`harness exited with ${run.status}: ${run.stderr}`);
  const seconds = (performance.now() - started) / 1000;
  const lines = run.stdout.trim().split('\n');
  const summary = lines.pop();
  return { lines: lines.map((line) => cLine(...line.split(' ').map(Number))), summary, seconds };
}

/** The TypeScript int8 frames in the order the stream computes them (frames of no window left out). */
function writeFrames(file, hopFrames) {
  const geometry = featureGeometry(network.feature);
  const samples = new Float32Array(Math.max(pcm.length, geometry.desiredSamples));
  samples.set(wav.samples);
  const extractor = createFeatureExtractor(network.feature);
  const frame = new Float32Array(geometry.coefficients);
  const out = fs.openSync(file, 'w');
  for (let f = 0; f * geometry.strideSamples + geometry.windowSamples <= samples.length; f++) {
    if (f % hopFrames >= geometry.frames) continue;
    extractor.computeFrame(samples, f * geometry.strideSamples, frame, 0);
    fs.writeSync(out, new Uint8Array(quantizeFeatures(frame, network.inputFrac).buffer));
  }
  fs.closeSync(out);
}

/** `kws detect --quantized --json` from the same build, as a separate process. */
function runCli() {
  const flags = Object.entries(settings)
    .filter(([, value]) => value !== undefined)
    .flatMap(([key, value]) => [`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value)]);
  const argv = ['detect', '--train-dir', trainDir, '--quantized', '--json', ...flags, streamPath];
  const script = `import { main } from ${JSON.stringify(pathToFileURL(path.join(dist, 'cli/main.js')).href)};
process.exitCode = await main([process.argv[0], 'kws', ...${JSON.stringify(argv)}]);`;
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) fail(`kws detect exited with ${run.status}: ${run.stderr}`);
  const seconds = (performance.now() - started) / 1000;
  const lines = run.stdout.trim().split('\n');
  const summary = JSON.parse(lines.pop()).summary;
  return { lines, summary, seconds };
}

/** Lines in both lists (as multisets), and those only in one. */
function compare(expected, actual) {
  const pending = new Map();
  for (const line of expected) pending.set(line, (pending.get(line) ?? 0) + 1);
  let agree = 0;
  const onlyActual = [];
  for (const line of actual) {
    const count = pending.get(line) ?? 0;
    if (count > 0) {
      agree++;
      pending.set(line, count - 1);
    } else onlyActual.push(line);
  }
  const onlyExpected = [...pending].flatMap(([line, count]) => Array(count).fill(line));
  return { agree, onlyExpected, onlyActual, identical: expected.join('\n') === actual.join('\n') };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-stream-agreement-'));
try {
  const options = { network, ...settings };
  emitC(network, scratch);
  emitFrontEnd(network.feature, powerOfTwo(network.inputFrac), scratch);
  emitStream(options, scratch);
  const operatingPoint = { ...DEFAULT_POSTERIOR_SETTINGS, hopMs: network.feature.windowStrideMs };
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) operatingPoint[key] = value;
  console.log(
    `stream ${streamPath} (${(pcm.length / network.feature.sampleRate).toFixed(1)} s), run ${trainDir} ` +
      `(${network.architecture}, ${network.labels.length} labels, MFCC_DEC_BITS ${network.inputFrac}), ` +
      `operating point ${JSON.stringify(operatingPoint)}, C fed ${chunk}-sample chunks`,
  );
  const cli = runCli();
  console.log(
    `kws detect --quantized --json: ${cli.lines.length} detections, ${cli.summary.windows} windows (${cli.seconds.toFixed(1)} s)`,
  );
  const framesFile = path.join(scratch, 'frames.bin');
  writeFrames(framesFile, Math.round(operatingPoint.hopMs / network.feature.windowStrideMs));
  for (const [name, framesOption] of [
    ['C, its own front end', undefined],
    ['C, TypeScript int8 frames', framesFile],
  ]) {
    const c = runC(scratch, framesOption);
    const { agree, onlyExpected, onlyActual, identical } = compare(cli.lines, c.lines);
    console.log(
      `${name}: ${c.lines.length} detections (${c.summary}; ${c.seconds.toFixed(1)} s); ` +
        `${agree} of ${cli.lines.length} lines agree${identical ? ', identical in order' : ''}`,
    );
    for (const line of onlyExpected) console.log(`  only kws detect: ${line}`);
    for (const line of onlyActual) console.log(`  only C:          ${line}`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
