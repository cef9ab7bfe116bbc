/**
 * The emitted stream on the host: network C + front end + kws_stream.c + stream-harness.c built
 * with gcc, fed int16 samples in given chunk sizes; and the same samples through the TypeScript
 * KeywordDetector with the integer classifier, as `kws detect --quantized` runs them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KeywordDetector } from '../../src/detect/detector.js';
import type { Detection, PosteriorSettings } from '../../src/detect/posteriors.js';
import { emitFrontEnd } from '../../src/device/frontend-c.js';
import { emitStream, type StreamOptions } from '../../src/device/stream-c.js';
import { featureGeometry } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { quantizeFeatures } from '../../src/features/quantize.js';
import { emitNetworkC, inputQuantizationOf } from '../../src/quant/deployed.js';
import type { QuantizedNetwork } from '../../src/quant/ir.js';
import { createIntegerClassifier } from '../../src/quant/integer-classifier.js';
import { PROBABILITY_ONE } from '../../src/quant/softmax.js';
import { CMSIS_DIR } from '../cmsis/host.js';
import { DEVICE_DIR, STRICT_C_FLAGS } from './host.js';

const PCM16_FULL_SCALE = 32768;

export interface StreamBuild {
  /** Extra -D definitions, e.g. { KWS_THRESHOLD_PPM: 500000 }. */
  defines?: Record<string, number>;
  /** Link no front end: kws_features_frame returns the frames of the file in KWS_FRAMES. */
  framesFromFile?: boolean;
}

/** Writes the network's C, the front end and the stream into `dir`. */
export function emitAll(options: StreamOptions, dir: string): void {
  emitNetworkC(options.network, dir);
  emitFrontEnd(options.network.feature, inputQuantizationOf(options.network), dir);
  emitStream(options, dir);
}

/** Compiles what emitAll wrote with the harness; returns the binary. Throws with gcc's messages. */
export function compileStream(dir: string, network: QuantizedNetwork, build: StreamBuild = {}): string {
  const name = build.framesFromFile ? 'stream-frames' : 'stream-audio';
  const binary = path.join(
    dir,
    `${name}-${Object.entries(build.defines ?? {})
      .flat()
      .join('-')}`,
  );
  const defines = Object.entries(build.defines ?? {}).map(([macro, value]) => `-D${macro}=${value}`);
  const sources = [
    path.join(dir, `${network.architecture}.c`),
    path.join(CMSIS_DIR, 'arm_nnfunctions.c'),
    path.join(dir, 'kws_stream.c'),
    path.join(DEVICE_DIR, 'stream-harness.c'),
    ...(build.framesFromFile ? [] : [path.join(dir, 'kws_features.c')]),
  ];
  const result = spawnSync(
    'gcc',
    [
      ...STRICT_C_FLAGS,
      '-O2',
      `-DKWS_MODEL_HEADER="${network.architecture}.h"`,
      ...(build.framesFromFile ? ['-DKWS_FRAMES_FROM_FILE'] : []),
      ...defines,
      '-I',
      dir,
      '-I',
      CMSIS_DIR,
      ...sources,
      '-lm',
      '-o',
      binary,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`gcc failed:\n${result.error?.message ?? result.stderr}`);
  return binary;
}

/** A detection as kws_detection_t holds it. */
export interface RawDetection {
  sample: number;
  label: number;
  sum: number;
  windows: number;
}

export interface StreamRun {
  detections: RawDetection[];
  windows: number;
  frames: number;
  dropped: number;
  stateBytes: number;
}

/** Feeds `pcm` to the harness in chunks of `chunkSizes` (cycled); `framesFile` for a framesFromFile build. */
export function runStream(
  binary: string,
  pcm: Int16Array,
  chunkSizes: readonly number[],
  framesFile?: string,
): StreamRun {
  const result = spawnSync(binary, chunkSizes.map(String), {
    input: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength),
    env: framesFile ? { ...process.env, KWS_FRAMES: framesFile } : process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) throw new Error(`stream harness exited with ${result.status}: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const summary = /^windows (\d+) frames (\d+) dropped (\d+) state (\d+)$/.exec(lines.pop()!);
  if (!summary) throw new Error(`stream harness: no summary line in ${result.stdout.slice(-200)}`);
  const detections = lines.map((line) => {
    const [sample, label, sum, windows] = line.split(' ').map(Number) as [number, number, number, number];
    return { sample, label, sum, windows };
  });
  const [windows, frames, dropped, stateBytes] = summary.slice(1).map(Number) as [number, number, number, number];
  return { detections, windows, frames, dropped, stateBytes };
}

/** A detection line of `kws detect --json`: time rounded to 3 decimals, score to 4. */
export function cliLine(timeS: number, label: string, score: number): string {
  return JSON.stringify({
    time_s: Math.round(timeS * 1000) / 1000,
    label,
    score: Math.round(score * 10000) / 10000,
  });
}

export function cLines(run: StreamRun, network: QuantizedNetwork): string[] {
  return run.detections.map((d) =>
    cliLine(d.sample / network.feature.sampleRate, network.labels[d.label]!, d.sum / (PROBABILITY_ONE * d.windows)),
  );
}

export function typeScriptLines(detections: readonly Detection[]): string[] {
  return detections.map((d) => cliLine(d.timeS, d.label, d.score));
}

export interface TypeScriptRun {
  detections: Detection[];
  windows: number;
  framesComputed: number;
}

/** `kws detect --quantized` over `pcm` pushed in one piece (KeywordDetector is chunking-independent). */
export function detectTypeScript(
  network: QuantizedNetwork,
  pcm: Int16Array,
  settings: PosteriorSettings,
): TypeScriptRun {
  const integer = createIntegerClassifier(network);
  const model = {
    labels: network.labels,
    feature: network.feature,
    quantized: true,
    scores: (x: Float32Array) => integer.scores(x),
  };
  const detector = new KeywordDetector(model, settings);
  detector.push(Float32Array.from(pcm, (v) => v / PCM16_FULL_SCALE));
  const result = detector.finish();
  return { detections: result.detections, windows: result.windows, framesComputed: result.framesComputed };
}

/**
 * The TypeScript int8 frames of `pcm` in the order the stream computes them (each frame once,
 * those of no window left out), written to `file` for a framesFromFile build. A stream shorter
 * than a clip is zero-padded to one, as both detectors do.
 */
export function writeTypeScriptFrames(
  network: QuantizedNetwork,
  pcm: Int16Array,
  hopFrames: number,
  file: string,
): void {
  const geometry = featureGeometry(network.feature);
  const samples = new Float32Array(Math.max(pcm.length, geometry.desiredSamples));
  samples.set(Float32Array.from(pcm, (v) => v / PCM16_FULL_SCALE));
  const extractor = createFeatureExtractor(network.feature);
  const frame = new Float32Array(geometry.coefficients);
  const frames: Buffer[] = [];
  for (let f = 0; f * geometry.strideSamples + geometry.windowSamples <= samples.length; f++) {
    if (f % hopFrames >= geometry.frames) continue;
    extractor.computeFrame(samples, f * geometry.strideSamples, frame, 0);
    frames.push(Buffer.from(quantizeFeatures(frame, network.inputFrac).buffer));
  }
  fs.writeFileSync(file, Buffer.concat(frames));
}
