/**
 * The s8 simulator against a float reference (dequantised logits close to the float network's on
 * unseen inputs), its two engines against each other (bit-identical, saturation counts included),
 * and the pieces with their own rounding: the input quantisation, the average pool, the softmax
 * table for the logits' scale.
 */
import { describe, expect, it } from 'vitest';
import { createFloatForward } from '../../../src/quant/float-network.js';
import type { IntegerArchitecture } from '../../../src/quant/ir.js';
import { createS8Classifier } from '../../../src/quant/s8/classifier.js';
import { quantizeFloatNetworkS8 } from '../../../src/quant/s8/quantize.js';
import { argmax } from '../../../src/metrics.js';
import { type S8AvgPoolLayer, isS8Weighted, s8ExpTable } from '../../../src/quant/s8/ir.js';
import { quantizeFeaturesAffine } from '../../../src/features/quantize.js';
import { averagePool, createS8Simulator } from '../../../src/quant/s8/simulate.js';
import { PROBABILITY_ONE, kwsSoftmax, softmaxExpTable } from '../../../src/quant/softmax.js';
import { Random } from '../../../src/random.js';
import { quantizedS8, randomFeatures, randomFloatNetwork, randomInt8Inputs, selfLabelled } from './networks.js';

const ARCHITECTURES: IntegerArchitecture[] = ['dnn', 'cnn', 'ds_cnn'];

describe('s8 simulator against the float network', () => {
  /** Worst and mean |dequantised − float| logit over `x`, relative to the largest |float logit|, and class agreement. */
  function compare(architecture: IntegerArchitecture, x: Float32Array | undefined) {
    const float = randomFloatNetwork(architecture, 41);
    const calibration = selfLabelled(float, 200, 42);
    const { network } = quantizeFloatNetworkS8(float, { calibration, method: 'max' });
    const rows = x ?? calibration.x;
    const forward = createFloatForward(float);
    const classifier = createS8Classifier(network);
    const logitsLayer = network.layers[network.layers.length - 1]!;
    if (!isS8Weighted(logitsLayer)) throw new Error('logits come from a dense layer');
    const inputSize = float.frames * float.coefficients;
    const count = rows.length / inputSize;
    let worst = 0;
    let total = 0;
    let range = 0;
    let agree = 0;
    for (let n = 0; n < count; n++) {
      const row = rows.subarray(n * inputSize, (n + 1) * inputSize);
      const expected = forward.run(row);
      const logits = classifier.logits(row);
      expected.forEach((v, c) => {
        const error = Math.abs(logitsLayer.outputScale * (logits[c]! - logitsLayer.outputZeroPoint) - v);
        worst = Math.max(worst, error);
        total += error;
        range = Math.max(range, Math.abs(v));
      });
      if (argmax(logits) === argmax(expected)) agree++;
    }
    return { worst: worst / range, mean: total / (count * network.labels.length) / range, agreement: agree / count };
  }

  it.each(ARCHITECTURES)(
    '%s: on the calibration inputs (nothing clips) dequantised logits are close to float',
    (architecture) => {
      const { worst, mean, agreement } = compare(architecture, undefined);
      // Up to eight layers of int8 rounding: a logit is at most a few percent of the range off, on average well under 1 %.
      expect(worst).toBeLessThan(0.05);
      expect(mean).toBeLessThan(0.01);
      expect(agreement).toBeGreaterThan(0.95);
    },
  );

  it.each(ARCHITECTURES)(
    '%s: on unseen inputs, where values beyond the calibrated ranges clip, classes still agree',
    (architecture) => {
      const { mean, agreement } = compare(architecture, randomFeatures({ frames: 13, coefficients: 6 }, 200, 43));
      expect(mean).toBeLessThan(0.02);
      expect(agreement).toBeGreaterThan(0.9);
    },
  );
});

describe('s8 engines', () => {
  it.each(ARCHITECTURES)(
    '%s: WebAssembly and JavaScript give identical logits and saturation counts',
    (architecture) => {
      const { network } = quantizedS8(randomFloatNetwork(architecture, 51), 52);
      // Narrow the first layer's output range so that it saturates too.
      const first = network.layers[0]!;
      if (isS8Weighted(first))
        first.multipliers.forEach((m, c) => (first.multipliers[c] = Math.min(2 ** 31 - 1, m * 4)));
      const wasm = createS8Simulator(network, 'wasm');
      const js = createS8Simulator(network, 'js');
      expect([wasm.engine, js.engine]).toEqual(['wasm', 'js']);
      const inputSize = network.frames * network.coefficients;
      const inputs = randomInt8Inputs(network, 200, 53);
      for (let n = 0; n < 200; n++) {
        const input = inputs.subarray(n * inputSize, (n + 1) * inputSize);
        expect(Array.from(wasm.run(input)), `input ${n}`).toEqual(Array.from(js.run(input)));
      }
      expect(Array.from(wasm.saturations)).toEqual(Array.from(js.saturations));
      expect(js.saturations[0]).toBeGreaterThan(0);
    },
  );

  it('extreme multipliers, shifts and zero points are bit-identical too', () => {
    const random = new Random(7);
    const { network } = quantizedS8(randomFloatNetwork('ds_cnn', 61), 62);
    for (const layer of network.layers.filter(isS8Weighted)) {
      layer.multipliers.forEach((_, c) => {
        layer.multipliers[c] = random.int(0, 6) === 0 ? 0 : random.int(2 ** 30, 2 ** 31);
        layer.shifts[c] = random.int(-31, 4);
        layer.bias[c] = random.int(-(2 ** 20), 2 ** 20);
      });
    }
    const wasm = createS8Simulator(network, 'wasm');
    const js = createS8Simulator(network, 'js');
    const inputSize = network.frames * network.coefficients;
    const inputs = randomInt8Inputs(network, 60, 63);
    for (let n = 0; n < 60; n++) {
      const input = inputs.subarray(n * inputSize, (n + 1) * inputSize);
      expect(Array.from(wasm.run(input))).toEqual(Array.from(js.run(input)));
    }
  });

  it('runLayers continues from any layer as run does', () => {
    const { network } = quantizedS8(randomFloatNetwork('ds_cnn', 71), 72);
    const simulator = createS8Simulator(network);
    const input = randomInt8Inputs(network, 1, 73);
    const logits = Array.from(simulator.run(input));
    const middle = simulator.runLayers(input, 0, 3).slice();
    const rest = simulator.runLayers(middle, 3, network.layers.length);
    expect(Array.from(rest.subarray(0, network.labels.length))).toEqual(logits);
  });
});

describe('s8 rounding outside the weighted kernels', () => {
  it('quantizes features in single precision, halves away from zero, saturating', () => {
    const scale = 0.5;
    const out = quantizeFeaturesAffine(Float32Array.from([0.25, -0.25, 0.75, 1000, -1000, 0]), scale, 3);
    expect(Array.from(out)).toEqual([4, 2, 5, 127, -128, 3]);
    // The device divides in float: x / scale is 39.4999986 in double but rounds to 39.5 in float32, so 40.
    expect(quantizeFeaturesAffine(Float32Array.from([2.1111037731170654]), 0.053445667028427124, 0)[0]).toBe(40);
  });

  it('arm_avgpool_s8 rounds the mean half away from zero and clamps', () => {
    const layer: S8AvgPoolLayer = {
      kind: 'avgpool',
      name: 'POOL',
      input: { height: 2, width: 1, channels: 4 },
      scale: 1,
      zeroPoint: 0,
      activation: { min: -128, max: 100 },
    };
    const output = new Int8Array(4);
    // Channel sums 3, −3, 4 and 127 + 127 over two positions.
    averagePool(layer, Int8Array.from([1, -1, 2, 127, 2, -2, 2, 127]), output);
    expect(Array.from(output)).toEqual([2, -2, 2, 100]);
  });

  it("kws_softmax's table steps by the logits' scale and scores close to the dequantised logits' softmax", () => {
    const random = new Random(9);
    for (const [architecture, seed] of [
      ['dnn', 51],
      ['ds_cnn', 52],
    ] as const) {
      const { network } = quantizedS8(randomFloatNetwork(architecture, seed), seed);
      const last = network.layers[network.layers.length - 1]!;
      if (last.kind !== 'dense') throw new Error('logits come from a dense layer');
      const table = s8ExpTable(network);
      expect(table).toEqual(softmaxExpTable(last.outputScale));
      // The classifier scores with the same table.
      const x = randomFeatures(network, 5, seed);
      const classifier = createS8Classifier(network);
      const scores = classifier.scores(x);
      const inputSize = network.frames * network.coefficients;
      const classes = network.labels.length;
      for (let r = 0; r < 5; r++) {
        const logits = classifier.logits(x.subarray(r * inputSize, (r + 1) * inputSize));
        const expected = Array.from(kwsSoftmax(logits, table), (p) => p / PROBABILITY_ONE);
        expect(Array.from(scores.subarray(r * classes, (r + 1) * classes))).toEqual(expected.map(Math.fround));
      }
      // Seeded random logits at this scale and at finer and coarser ones (the zero point cancels).
      // Each table entry but the largest (32768, exact) is off by up to 1/2, which moves p_i by
      // (δ_i − P_i Σδ_j) / sum; with the division's rounding, |p_i − 32768 P_i| ≤
      // 1/2 + (32768 / sum) (1/2 + (n − 1) P_i / 2). With 12 labels that reaches about 3/32768 for
      // the top class of a confident row, so a flat 2/32768 only holds for a handful of labels.
      for (const scale of [last.outputScale, 0.01, 0.0625, 0.25, 1]) {
        const expTable = softmaxExpTable(scale);
        const zeroPoint = last.outputZeroPoint;
        for (const n of [4, 12]) {
          for (let trial = 0; trial < 300; trial++) {
            const logits = Int8Array.from({ length: n }, () => random.int(-128, 128));
            const probabilities = kwsSoftmax(logits, expTable);
            const max = Math.max(...logits);
            const tableSum = Array.from(logits, (q) => expTable[max - q] ?? 0).reduce((a, b) => a + b, 0);
            const exps = Array.from(logits, (q) => Math.exp((q - zeroPoint) * scale));
            const sum = exps.reduce((a, b) => a + b, 0);
            exps.forEach((e, i) => {
              const error = Math.abs(probabilities[i]! - (PROBABILITY_ONE * e) / sum);
              const bound = 0.5 + (PROBABILITY_ONE / tableSum) * (0.5 + ((n - 1) * e) / sum / 2);
              expect(error, `scale ${scale}, ${n} labels`).toBeLessThanOrEqual(n === 4 ? Math.min(bound, 2) : bound);
            });
          }
        }
      }
    }
  });
});
