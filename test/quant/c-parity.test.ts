/**
 * The emitted C, compiled with gcc against the portable kernels in test/cmsis, must give the
 * same int8 logits and softmax as the TypeScript simulator for every input, bit for bit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitC } from '../../src/quant/emit-c.js';
import { quantizeFeatures } from '../../src/features/quantize.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { type IntegerArchitecture, type QuantizedNetwork, mapSize } from '../../src/quant/ir.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { createSimulator } from '../../src/quant/simulate.js';
import { kwsSoftmax, logitFrac, q7ExpTable } from '../../src/quant/softmax.js';
import { Random } from '../../src/random.js';
import { SMALL_SIZE_INFO, description, randomFeatures, randomizedModel } from './models.js';
import { NetworkBuilder, randomInt8, randomNetwork } from './random-networks.js';
import { compileHarness, runHarness, skipWithoutGcc } from '../cmsis/host.js';
import { tempDir } from '../helpers/temp-dir.js';

const INPUTS = 300;

const workDir = tempDir('c-parity');

describe.skipIf(skipWithoutGcc)('emitted C matches the simulator (gcc -std=c99 -Wall -Wextra -Werror)', () => {
  const cases: Array<[IntegerArchitecture, number]> = [
    ['dnn', 11],
    ['dnn', 12],
    ['cnn', 21],
    ['cnn', 22],
    ['ds_cnn', 31],
    ['ds_cnn', 32],
  ];
  /** Runs `inputs` through the compiled C and the simulator; returns how many distinct logit vectors came out. */
  function expectParity(
    network: QuantizedNetwork,
    outDir: string,
    inputs: Int8Array,
    simulator = createSimulator(network),
  ): number {
    emitC(network, outDir);
    const binary = compileHarness(outDir, network.architecture);
    const inputSize = network.frames * network.coefficients;
    const classes = network.labels.length;
    const count = inputs.length / inputSize;
    const output = runHarness(binary, inputs, classes);
    expect(output.length).toBe(count);
    const distinct = new Set<string>();
    const expTable = q7ExpTable(logitFrac(network));
    for (let n = 0; n < count; n++) {
      const logits = simulator.run(inputs.subarray(n * inputSize, (n + 1) * inputSize));
      expect(Array.from(output[n]!.logits), `input ${n} logits`).toEqual(Array.from(logits));
      expect(Array.from(output[n]!.probabilities), `input ${n} softmax`).toEqual(
        Array.from(kwsSoftmax(logits, expTable)),
      );
      distinct.add(logits.join(','));
    }
    return distinct.size;
  }

  /** Mostly full-range noise, every third input small so outputs are not all saturated. */
  function randomInputs(network: QuantizedNetwork, count: number, seed: number): Int8Array {
    const random = new Random(seed);
    const inputSize = network.frames * network.coefficients;
    const inputs = new Int8Array(count * inputSize);
    for (let n = 0; n < count; n++) {
      const amplitude = n % 3 === 0 ? 16 : 128;
      inputs.set(randomInt8(random, inputSize, -amplitude, amplitude), n * inputSize);
    }
    return inputs;
  }

  it.each(cases)('%s (seed %i): logits and softmax bit-identical on random inputs', (architecture, seed) => {
    const network = randomNetwork({ architecture, seed });
    const simulator = createSimulator(network);
    const distinct = expectParity(
      network,
      path.join(workDir, `${architecture}-${seed}`),
      randomInputs(network, INPUTS, seed * 7919),
      simulator,
    );
    // Guards against a degenerate network (e.g. every logit saturated) making the check vacuous,
    // and makes sure the clamping path was compared too.
    expect(distinct).toBeGreaterThan(INPUTS / 4);
    expect(simulator.saturations.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('extreme shifts (0 and 31, bias wrapping at 32 bits) agree too', () => {
    const network = randomNetwork({ architecture: 'dnn', seed: 41 });
    const shifts: Array<[number, number]> = [
      [31, 31],
      [0, 0],
      [30, 24],
    ];
    network.layers.forEach((layer) => {
      if (layer.kind !== 'dense') return;
      const [biasShift, outShift] = shifts.shift()!;
      Object.assign(layer, { biasShift, outShift });
    });
    expectParity(network, path.join(workDir, 'extreme'), randomInputs(network, 50, 5));
  });

  it("rectifies maps larger than arm_relu_q7's uint16_t size row by row", () => {
    const builder = new NetworkBuilder(new Random(3), 2);
    const frames = 50;
    const coefficients = 10;
    const map = builder.conv(
      'CONV1',
      { height: frames, width: coefficients, channels: 1 },
      140,
      { y: 3, x: 3 },
      { y: 1, x: 1 },
      'same',
    );
    builder.relu(mapSize(map));
    builder.dense('FINAL_FC', builder.avgpool(map, 2), 4);
    const network: QuantizedNetwork = {
      architecture: 'ds_cnn',
      feature: { ...DEFAULT_FEATURE_CONFIG },
      frames,
      coefficients,
      inputFrac: 2,
      labels: ['_silence_', '_unknown_', 'a', 'b'],
      layers: builder.layers,
    };
    expectParity(network, path.join(workDir, 'wide'), randomInputs(network, 10, 9));
    const source = fs.readFileSync(path.join(workDir, 'wide', 'ds_cnn.c'), 'utf8');
    expect(source).toContain(
      'for (int row = 0; row < CONV1_OUT_Y; row++) arm_relu_q7(buffer1 + row * CONV1_OUT_X * CONV1_OUT_CH',
    );
  });

  it('a model quantised from tfjs compiles and agrees on its own calibration features', () => {
    const model = randomizedModel('ds_cnn', SMALL_SIZE_INFO.ds_cnn, 17);
    const x = randomFeatures(60, 18);
    const { network } = quantizeModel({
      model,
      description: description('ds_cnn'),
      calibration: { x, y: new Int32Array(60) },
      method: 'max',
    });
    model.dispose();
    const inputs = quantizeFeatures(x, network.inputFrac);
    expect(expectParity(network, path.join(workDir, 'from-tfjs'), inputs)).toBeGreaterThan(30);
  });

  it('uses the fast 1x1 kernel only where its channel constraints hold', () => {
    const network = randomNetwork({ architecture: 'ds_cnn', seed: 31 });
    const outDir = path.join(workDir, 'kernels');
    const files = emitC(network, outDir);
    const source = fs.readFileSync(files.modelSource, 'utf8');
    expect(source.match(/arm_convolve_1x1_HWC_q7_fast_nonsquare\(/g)?.length).toBe(2);
    expect(source).toContain('arm_convolve_HWC_q7_basic_nonsquare(buffer');
  });
});
