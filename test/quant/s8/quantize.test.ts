/**
 * From a (random but fixed) tfjs model of the zoo to an s8 network: batch norm folded, TFLite's
 * scheme (asymmetric activations, symmetric per-channel weights, ReLU in the clamp), the three
 * calibration methods, the report, the plain-JSON store and the emitted files' contents.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { argmax } from '../../../src/metrics.js';
import { buildS8Network } from '../../../src/quant/s8/build.js';
import { emitS8C } from '../../../src/quant/s8/emit-c.js';
import { type S8Network, isS8Weighted, s8ExpTable, s8LogitScale, validateS8Network } from '../../../src/quant/s8/ir.js';
import { quantizeModelS8, renderS8QuantJson } from '../../../src/quant/s8/quantize.js';
import { createS8Simulator } from '../../../src/quant/s8/simulate.js';
import { s8NetworkFromJson, s8NetworkToJson } from '../../../src/quant/s8/store.js';
import { LABELS, SMALL_SIZE_INFO, description, predict, randomFeatures, randomizedModel } from '../models.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { presetFloatNetwork, quantizedS8, randomFloatNetwork, randomInt8Inputs } from './networks.js';

const EXAMPLES = 200;

/** Labels = the float model's own decisions, so float accuracy is 100 % and the rest measures quantisation loss. */
function calibrationFor(architecture: 'dnn' | 'cnn' | 'ds_cnn', seed: number) {
  const model = randomizedModel(architecture, SMALL_SIZE_INFO[architecture], seed);
  const x = randomFeatures(EXAMPLES, seed + 1);
  const logits = predict(model, x);
  const y = Int32Array.from({ length: EXAMPLES }, (_, n) =>
    argmax(logits.subarray(n * LABELS.length, (n + 1) * LABELS.length)),
  );
  return { model, calibration: { x, y } };
}

const workDir = tempDir('s8-quantize');

describe('quantizeModelS8', () => {
  it.each(['dnn', 'cnn', 'ds_cnn'] as const)('%s: keeps the float decisions, in TFLite int8 form', (architecture) => {
    const { model, calibration } = calibrationFor(architecture, 5);
    const { network, report } = quantizeModelS8({
      model,
      description: description(architecture),
      calibration,
      method: 'max',
    });
    model.dispose();
    expect(report.accuracy.float).toBe(1);
    expect(report.accuracy.integer).toBeGreaterThan(0.9);
    // One point per layer output plus the input; max ranges clip only the extremes the rounded zero point moved out by < 1 step.
    expect(report.points).toHaveLength(network.layers.length + 1);
    for (const point of report.points) expect(point.saturated / point.total).toBeLessThan(0.005);
    for (const layer of network.layers.filter(isS8Weighted)) {
      // Symmetric weights, ReLU folded into the clamp at real 0 (zero point −128 for ranges cut at 0).
      expect(Math.max(...layer.weights.map((w) => Math.abs(w)))).toBe(127);
      if (layer.relu) expect(layer.activation).toEqual({ min: -128, max: 127 });
      if (layer.relu) expect(layer.outputZeroPoint).toBe(-128);
    }
    const pool = network.layers.find((layer) => layer.kind === 'avgpool');
    if (architecture === 'ds_cnn') {
      expect(pool).toBeDefined();
      expect(report.points.find((p) => p.point === 'POOL')!.inherited).toBe(true);
    }
  });

  it('percentile ranges are never wider than max ranges and clip more', () => {
    const { model, calibration } = calibrationFor('ds_cnn', 9);
    const options = { model, description: description('ds_cnn'), calibration };
    const max = quantizeModelS8({ ...options, method: 'max' }).report;
    const percentile = quantizeModelS8({ ...options, method: 'percentile', percentile: 99 }).report;
    model.dispose();
    percentile.points.forEach((point, i) => {
      expect(point.chosenMax).toBeLessThanOrEqual(max.points[i]!.chosenMax);
      expect(point.chosenMin).toBeGreaterThanOrEqual(max.points[i]!.chosenMin);
    });
    const clipped = (r: typeof max) => r.points.reduce((sum, p) => sum + p.saturated, 0);
    expect(clipped(percentile)).toBeGreaterThan(clipped(max));
    expect(percentile.percentile).toBe(99);
  });

  it('search scales each max range by one of its factors and does no worse than max on the calibration set', () => {
    const { model, calibration } = calibrationFor('cnn', 13);
    const options = { model, description: description('cnn'), calibration };
    const max = quantizeModelS8({ ...options, method: 'max' }).report;
    let progress = 0;
    const search = quantizeModelS8({
      ...options,
      method: 'search',
      onSearchProgress: (done) => (progress = done),
    }).report;
    model.dispose();
    search.points.forEach((point, i) => {
      const factor = point.chosenMax / max.points[i]!.chosenMax;
      expect([1, 0.75, 0.5, 0.35, 0.25].some((f) => Math.abs(f - factor) < 1e-9)).toBe(true);
    });
    expect(search.accuracy.integer).toBeGreaterThanOrEqual(max.accuracy.integer);
    // Five candidates for each of the six points of the cnn (input, two convs, three dense).
    expect(progress).toBe(30);
  });

  it('per-tensor fully connected weights share one scale, multiplier and shift', () => {
    const { network } = quantizedS8(randomFloatNetwork('dnn', 3), 3, 'max', { denseQuantization: 'per-tensor' });
    for (const layer of network.layers) {
      if (layer.kind !== 'dense') continue;
      expect(layer.perChannel).toBe(false);
      expect(new Set(layer.multipliers).size).toBe(1);
      expect(new Set(layer.shifts).size).toBe(1);
    }
  });

  it('a channel of zero weights outputs its bias, at multiplier 1', () => {
    const float = randomFloatNetwork('dnn', 4);
    const first = float.layers[0]!;
    if (first.kind !== 'dense') throw new Error('dnn starts with a dense layer');
    first.weights.fill(0, 0, first.inputSize);
    first.bias[0] = 0.7;
    const { network } = quantizedS8(float, 4);
    const layer = network.layers[0]!;
    if (!isS8Weighted(layer)) throw new Error('dense layer expected');
    expect(layer.multipliers[0]! * 2 ** (layer.shifts[0]! - 31)).toBeCloseTo(1, 6);
    const output = createS8Simulator(network).runLayers(randomInt8Inputs(network, 1, 1), 0, 1);
    expect(layer.outputScale * (output[0]! - layer.outputZeroPoint)).toBeCloseTo(0.7, 1);
  });

  it('clamps biases beyond int32 and says so', () => {
    const float = randomFloatNetwork('dnn', 5);
    const last = float.layers[float.layers.length - 1]!;
    if (last.kind !== 'dense') throw new Error('dnn ends with a dense layer');
    // Tiny weights make the bias scale tiny: a bias of 1000 is then far beyond 2^31 steps.
    last.weights.fill(1e-6);
    last.bias[0] = 1000;
    const { network, report } = quantizedS8(float, 5);
    const layer = network.layers[network.layers.length - 1]!;
    if (!isS8Weighted(layer)) throw new Error('dense layer expected');
    expect(layer.bias[0]).toBe(2 ** 31 - 1);
    expect(report.tensors.find((t) => t.layer === 'IP3' && t.tensor === 'bias')!.saturated).toBe(1);
    expect(report.adjustments).toContain('IP3: 1 of 5 biases exceed int32 at scale input × weight and were clamped');
  });

  it('folds a ReLU after the average pool into its clamp', () => {
    const float = randomFloatNetwork('ds_cnn', 6);
    // Move the last pointwise layer's ReLU behind the pool, so the pool's input has a zero point above −128.
    const pool = float.layers.findIndex((layer) => layer.kind === 'avgpool');
    const [relu] = float.layers.splice(pool - 1, 1);
    float.layers.splice(pool, 0, { ...relu!, kind: 'relu', size: 6 });
    const { network } = buildS8Network(
      float,
      Array.from({ length: 10 }, () => ({ min: -4, max: 4 })),
    );
    const layer = network.layers.find((l) => l.kind === 'avgpool');
    if (layer?.kind !== 'avgpool') throw new Error('the pool is missing');
    expect(layer.zeroPoint).toBe(-1);
    expect(layer.activation).toEqual({ min: -1, max: 127 });
  });
});

describe('s8 network store', () => {
  const { network } = quantizedS8(randomFloatNetwork('ds_cnn', 8), 8);

  it('round-trips through plain JSON and runs identically', () => {
    const stored = JSON.parse(JSON.stringify(s8NetworkToJson(network))) as unknown;
    const loaded = s8NetworkFromJson(stored);
    const input = randomInt8Inputs(network, 1, 2);
    expect(Array.from(createS8Simulator(loaded).run(input))).toEqual(Array.from(createS8Simulator(network).run(input)));
    expect(loaded.target).toBe('cmsis-nn-s8');
  });

  it("loads networks stored with arm_softmax_s8's arguments, dropping them", () => {
    const stored = {
      ...(JSON.parse(JSON.stringify(s8NetworkToJson(network))) as object),
      softmax: { multiplier: 2 ** 30, shift: 23, diffMin: -248 },
    };
    const loaded = s8NetworkFromJson(stored);
    expect('softmax' in loaded).toBe(false);
    const input = randomInt8Inputs(network, 1, 3);
    expect(Array.from(createS8Simulator(loaded).run(input))).toEqual(Array.from(createS8Simulator(network).run(input)));
  });

  it('refuses damaged files with the layer and tensor at fault', () => {
    const plain = s8NetworkToJson(network);
    const conv = plain.layers[0]!;
    if (conv.kind === 'avgpool') throw new Error('conv expected');
    conv.weights[3] = 300;
    expect(() => s8NetworkFromJson(plain)).toThrow(/CONV1: weights must be whole numbers in \[-128, 127\]/);
    expect(() => s8NetworkFromJson({ ...plain, target: 'cmsis-nn-q7' })).toThrow(/not a cmsis-nn-s8 network/);
    const broken: S8Network = { ...network, inputZeroPoint: network.inputZeroPoint === 0 ? 1 : 0 };
    expect(() => validateS8Network(broken)).toThrow(/CONV1: input scale and zero point differ/);
  });
});

describe('emitted s8 files', () => {
  it('hold the front end quantisation, per-channel requantisation and per-build scratch sizes (ds_cnn_s)', () => {
    const { network, report } = quantizedS8(presetFloatNetwork('ds_cnn_s', 1), 2, 'max', {}, 20);
    const files = emitS8C(network, path.join(workDir, 'ds_cnn_s'), 'a test');
    const header = fs.readFileSync(files.modelHeader, 'utf8');
    const source = fs.readFileSync(files.modelSource, 'utf8');
    const weights = fs.readFileSync(files.weightsHeader, 'utf8');
    const scale = /#define KWS_INPUT_SCALE (\S+)f\n/.exec(header)![1]!;
    expect(Math.fround(Number(scale))).toBe(network.inputScale);
    expect(header).toContain(`#define KWS_INPUT_ZERO_POINT ${network.inputZeroPoint}\n`);
    // Helium: 124-channel blocks of the 3×3 depthwise; DSP: the 1×1 and pool buffers of 64 int32; plain C: conv1's columns.
    expect(header).toContain('#if defined(ARM_MATH_MVEI)\n#define KWS_SCRATCH_SIZE 4464\n');
    expect(header).toContain('#elif defined(ARM_MATH_DSP)\n#define KWS_SCRATCH_SIZE 256\n');
    expect(header).toContain('#else\n#define KWS_SCRATCH_SIZE 160\n#endif');
    expect(source.match(/arm_convolve_wrapper_s8\(/g)).toHaveLength(5);
    expect(source.match(/arm_depthwise_conv_wrapper_s8\(/g)).toHaveLength(4);
    expect(source).toContain('arm_fully_connected_per_channel_s8(');
    expect(source).toContain('arm_avgpool_s8(');
    // kws_softmax: the table for the logits' scale, not arm_softmax_s8.
    const table = s8ExpTable(network);
    expect(Number(/^#define KWS_OUTPUT_SCALE (\S+)f$/m.exec(header)![1]!)).toBeCloseTo(s8LogitScale(network), 8);
    expect(header).toContain(`#define KWS_SOFTMAX_EXP_SIZE ${table.length} `);
    expect(header).toContain('void kws_softmax(const int8_t *logits, uint16_t *probs);');
    expect(header).not.toMatch(/KWS_SOFTMAX_(MULT|SHIFT|DIFF_MIN)/);
    expect(source).toContain(`kws_softmax_exp[KWS_SOFTMAX_EXP_SIZE] = {${Array.from(table).join(', ')}};`);
    expect(source).not.toContain('arm_softmax_s8');
    expect(source.match(/_get_buffer_size\(/g)!.length).toBeGreaterThanOrEqual(network.layers.length);
    expect(weights).toMatch(/#define CONV1_OUT_MULT \{\d+, \d+/);
    expect(weights).toContain('From: a test');
    const json = JSON.parse(renderS8QuantJson({ network, report }));
    expect(json.target).toBe('cmsis-nn-s8');
    expect(json.layers).toHaveLength(network.layers.length);
    expect(json.calibration.points).toHaveLength(network.layers.length + 1);
  });
});
