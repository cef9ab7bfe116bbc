/**
 * End to end on a tiny generated dataset: train ds_cnn → quantise → evaluate float and int8 →
 * compile the emitted C with gcc and require the same int8 logits as the simulator for every
 * test clip (what `kws demo` does, smaller).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/data/dataset-index.js';
import { loadEvaluationSet } from '../../src/data/evaluation-set.js';
import { runDemo, type DemoSummary } from '../../src/demo/demo.js';
import { quantizeFeatures } from '../../src/features/quantize.js';
import { createSimulator } from '../../src/quant/simulate.js';
import { loadQuantizedNetwork } from '../../src/quant/store.js';
import { RunDir } from '../../src/run/layout.js';
import { compileHarness, runHarness, skipWithoutGcc } from '../cmsis/host.js';

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-e2e-'));
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

afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

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
    for (const file of ['weights.h', 'ds_cnn.h', 'ds_cnn.c', 'quant.json'])
      expect(fs.existsSync(path.join(summary.trainDir, 'cmsis', file))).toBe(true);
    const html = fs.readFileSync(summary.reportFiles.at(-1)!, 'utf8');
    expect(html).toContain((summary.evaluation.int8!.accuracy * 100).toFixed(2));
  });

  it.skipIf(skipWithoutGcc)('compiled C gives the simulator’s int8 logits on every test clip', async () => {
    const { network } = loadQuantizedNetwork(new RunDir(summary.trainDir));
    const run = JSON.parse(fs.readFileSync(path.join(summary.trainDir, 'config.json'), 'utf8'));
    const index = buildIndex({ ...run.data, seed: run.seed });
    const test = await loadEvaluationSet({ index, set: 'testing', feature: network.feature, cacheDir: null });
    const inputs = quantizeFeatures(test.x, network.inputFrac);
    const output = runHarness(compileHarness(path.join(summary.trainDir, 'cmsis'), 'ds_cnn'), inputs);
    const simulator = createSimulator(network);
    const classes = network.labels.length;
    const inputSize = network.frames * network.coefficients;
    for (let n = 0; n < test.y.length; n++) {
      const expected = simulator.run(inputs.subarray(n * inputSize, (n + 1) * inputSize));
      expect(Array.from(output.subarray(n * 2 * classes, n * 2 * classes + classes)), `clip ${n}`).toEqual(
        Array.from(expected),
      );
    }
  });
});
