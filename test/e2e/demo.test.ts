/**
 * End to end on a tiny generated dataset: train ds_cnn → quantise → evaluate float and int8 →
 * compile the emitted C with gcc and require the same int8 logits as the simulator for every
 * test clip (what `kws demo` does, smaller) → build the firmware for an emulated Cortex-M4 and
 * require the detections of `kws detect --quantized` on a stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../src/audio/wav.js';
import { detectionLine } from '../../src/cli/detections.js';
import { buildIndex } from '../../src/data/dataset-index.js';
import { loadEvaluationSet } from '../../src/data/evaluation-set.js';
import { runDemo, type DemoSummary } from '../../src/demo/demo.js';
import { detectStream } from '../../src/detect/detector.js';
import { makeStream } from '../../src/detect/make-stream.js';
import type { Detection } from '../../src/detect/posteriors.js';
import { openClassifier } from '../../src/eval/classifier.js';
import { buildDetectorProgram, runDetectorProgram } from '../../src/firmware/detector-program.js';
import { quantizeFeatures } from '../../src/features/quantize.js';
import type { QuantizedNetwork } from '../../src/quant/ir.js';
import { createSimulator } from '../../src/quant/simulate.js';
import { loadQuantizedNetwork } from '../../src/quant/store.js';
import { RunDir } from '../../src/run/layout.js';
import { compileHarness, runHarness, skipWithoutGcc } from '../cmsis/host.js';
import { skipCross } from '../firmware/toolchain.js';
import { testStreamOptions } from '../helpers/stream.js';
import { tempDir } from '../helpers/temp-dir.js';

const outDir = tempDir('e2e');
let summary: DemoSummary;

beforeAll(async () => {
  summary = await runDemo({
    outDir,
    preset: 'ds_cnn_s',
    steps: [100, 50],
    learningRates: [0.003, 0.001],
    batchSize: 32,
    evalStepInterval: 50,
    speakers: 14,
    clipsPerSpeaker: 2,
    seed: 5,
  });
}, 300_000);

describe('train → quantize → eval → C (generated data, ds_cnn_s)', () => {
  it('trains well above chance and the int8 network keeps the float accuracy', () => {
    const { evaluation } = summary;
    expect(summary.training.completed).toBe(true);
    expect(evaluation.n).toBeGreaterThan(20);
    // 12 classes: chance is about 8%.
    expect(evaluation.float!.accuracy).toBeGreaterThan(0.5);
    expect(evaluation.int8!.accuracy).toBeGreaterThan(evaluation.float!.accuracy - 0.1);
  });

  it('writes the C folder, the integer network and the report', () => {
    expect(summary.quantization.kind).toBe('integer');
    for (const file of [
      'weights.h',
      'ds_cnn.h',
      'ds_cnn.c',
      'kws_features.h',
      'kws_features.c',
      'kws_stream.h',
      'kws_stream.c',
      'quant.json',
    ])
      expect(fs.existsSync(path.join(summary.trainDir, 'cmsis', file))).toBe(true);
    const html = fs.readFileSync(summary.reportFiles.at(-1)!, 'utf8');
    expect(html).toContain((summary.evaluation.int8!.accuracy * 100).toFixed(2));
  });

  it.skipIf(skipWithoutGcc)('compiled C gives the simulator’s int8 logits on every test clip', async () => {
    const network = loadQuantizedNetwork(new RunDir(summary.trainDir)).network as QuantizedNetwork;
    const run = JSON.parse(fs.readFileSync(path.join(summary.trainDir, 'config.json'), 'utf8'));
    const index = buildIndex({ ...run.data, seed: run.seed });
    const test = await loadEvaluationSet({ index, set: 'testing', feature: network.feature, cacheDir: null });
    const inputs = quantizeFeatures(test.x, network.inputFrac);
    const classes = network.labels.length;
    const output = runHarness(compileHarness(path.join(summary.trainDir, 'cmsis'), 'ds_cnn'), inputs, classes);
    const simulator = createSimulator(network);
    const inputSize = network.frames * network.coefficients;
    for (let n = 0; n < test.y.length; n++) {
      const expected = simulator.run(inputs.subarray(n * inputSize, (n + 1) * inputSize));
      expect(Array.from(output[n]!.logits), `clip ${n}`).toEqual(Array.from(expected));
    }
  });

  it.skipIf(skipCross)('the firmware on an emulated Cortex-M4 detects what kws detect --quantized does', async () => {
    const wav = path.join(outDir, 'stream.wav');
    makeStream(testStreamOptions(wav, summary.dataDir, { durationS: 5, gapS: 0.5, noiseVolume: 0.05, seed: 9 }));
    // A 100 ms hop keeps the emulated run short (the portable kernels are plain C).
    const operatingPoint = { hopMs: 100, averageWindowMs: 300, threshold: 0.6, suppressionMs: 1000 };
    const classifier = await openClassifier(summary.trainDir, { quantized: true });
    const host = await detectStream(fs.createReadStream(wav), wav, classifier, operatingPoint);
    const program = await buildDetectorProgram({ trainDir: summary.trainDir, board: 'qemu-m4', operatingPoint });
    const pcm = Int16Array.from(readWav(wav).samples, (v) => Math.round(v * 32768));
    const device = await runDetectorProgram(program, pcm);
    expect(host.detections.length).toBeGreaterThan(0);
    const lines = (detections: Detection[]) => detections.map((d) => detectionLine(d, undefined, true));
    expect(lines(device.detections)).toEqual(lines(host.detections));
  });
});
