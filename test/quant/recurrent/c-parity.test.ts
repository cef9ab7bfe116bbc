/**
 * The emitted recurrent C, compiled with gcc -std=c99 -Wall -Wextra -Werror, gives the int8 logits
 * and softmax of the TypeScript simulator on every input, bit for bit: against the project's
 * portable kernels always, against ARM's real legacy kernels when ../shared has them. Small
 * networks with random weights and inputs, a third of them full-range int8 noise, so saturation
 * and rounding edges are reached; the S presets, trained, are trained.test.ts's.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantizeFeatures } from '../../../src/features/quantize.js';
import { emitRecurrentC } from '../../../src/quant/recurrent/emit-c.js';
import type { RecurrentNetwork } from '../../../src/quant/recurrent/ir.js';
import { quantizeRecurrentModel } from '../../../src/quant/recurrent/quantize.js';
import { createRecurrentSimulator } from '../../../src/quant/recurrent/simulate.js';
import { kwsSoftmax, logitFrac, q7ExpTable } from '../../../src/quant/softmax.js';
import { Random } from '../../../src/random.js';
import { compileHarness, runHarness, skipWithoutGcc } from '../../cmsis/host.js';
import { randomInt8 } from '../random-networks.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { armLegacyPresent, compileModelAgainstArm } from './c-host.js';
import {
  LABELS,
  type RecurrentCase,
  SMALL_CASES,
  describe as description,
  inputSize,
  randomFeatures,
  randomRecurrentModel,
} from './models.js';

const INPUTS = 200;

const workDir = tempDir('recurrent-parity');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A network quantised (max ranges) from a random model of the case's shape, calibrated on feature-like inputs. */
function quantizedCase(c: RecurrentCase, seed: number): RecurrentNetwork {
  const model = randomRecurrentModel(c, seed);
  const x = randomFeatures(c, 24, seed + 1);
  const { network } = quantizeRecurrentModel({
    model,
    description: description(c),
    calibration: { x, y: Int32Array.from({ length: 24 }, (_, i) => i % LABELS.length) },
    method: 'max',
  });
  model.dispose();
  return network;
}

/** Two in three inputs are quantised feature-like values, the rest full-range int8 noise. */
function inputsFor(c: RecurrentCase, network: RecurrentNetwork, seed: number): Int8Array {
  const size = inputSize(c);
  const features = quantizeFeatures(randomFeatures(c, INPUTS, seed), network.inputFrac);
  const random = new Random(seed);
  for (let n = 0; n < INPUTS; n += 3) features.set(randomInt8(random, size), n * size);
  return features;
}

/** The simulator's int8 logits for every input, back to back. */
function simulate(network: RecurrentNetwork, inputs: Int8Array): Int8Array {
  const simulator = createRecurrentSimulator(network);
  const size = network.frames * network.coefficients;
  const classes = network.labels.length;
  const logits = new Int8Array((inputs.length / size) * classes);
  for (let n = 0; n < inputs.length / size; n++)
    simulator.run(inputs.subarray(n * size, (n + 1) * size), logits.subarray(n * classes, (n + 1) * classes));
  return logits;
}

/** Runs the binary on every input and compares with the simulator's logits and kws_softmax scores. */
function expectParity(binary: string, inputs: Int8Array, expected: Int8Array, network: RecurrentNetwork): void {
  const classes = network.labels.length;
  const expTable = q7ExpTable(logitFrac(network));
  const count = expected.length / classes;
  const output = runHarness(binary, inputs, classes);
  expect(output.length).toBe(count);
  for (let n = 0; n < count; n++) {
    const logits = expected.subarray(n * classes, (n + 1) * classes);
    expect(Array.from(output[n]!.logits), `input ${n} logits`).toEqual(Array.from(logits));
    expect(Array.from(output[n]!.probabilities), `input ${n} softmax`).toEqual(
      Array.from(kwsSoftmax(logits, expTable)),
    );
  }
}

const cases = SMALL_CASES.map((c, i) => [c.name, c, 104 + i] as const);

describe.skipIf(skipWithoutGcc)(
  'emitted recurrent C matches the simulator (gcc -std=c99 -Wall -Wextra -Werror)',
  () => {
    it.each(cases)('%s: logits identical on 200 inputs', (name, c, seed) => {
      const network = quantizedCase(c, seed);
      const outDir = path.join(workDir, name.replace(/[^a-z0-9_]+/g, '-'));
      emitRecurrentC(network, outDir);
      const inputs = inputsFor(c, network, seed * 7);
      const classes = network.labels.length;
      const expected = simulate(network, inputs);
      // Guards against a degenerate network (every logit saturated) making the check vacuous.
      const distinct = new Set(
        Array.from({ length: INPUTS }, (_, n) => expected.subarray(n * classes, (n + 1) * classes).join(',')),
      );
      expect(distinct.size).toBeGreaterThan(INPUTS / 4);
      expectParity(compileHarness(outDir, network.architecture), inputs, expected, network);
      if (armLegacyPresent)
        expectParity(
          compileModelAgainstArm(outDir, network.architecture, path.join(workDir, 'arm')),
          inputs,
          expected,
          network,
        );
    });
  },
);
