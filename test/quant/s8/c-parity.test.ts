/**
 * The emitted s8 C, compiled with gcc -std=c99 -Wall -Wextra -Werror against ARM's CMSIS-NN
 * sources, must give the same int8 logits and softmax as the TypeScript simulator for every
 * input, bit for bit — on small random networks, on the paper's S presets, and on networks with
 * extreme multipliers, shifts and zero points. Skipped without gcc or without ../shared (a
 * user's clone): the project has no portable s8 kernels, so there the C is not tested.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IntegerArchitecture } from '../../../src/quant/ir.js';
import { emitS8C } from '../../../src/quant/s8/emit-c.js';
import { type S8Network, isS8Weighted, s8ExpTable } from '../../../src/quant/s8/ir.js';
import {
  type ConvGeometry,
  type KernelVariant,
  convolveWrapperBytes,
  depthwiseWrapperBytes,
} from '../../../src/quant/s8/scratch.js';
import { quantizeFeaturesAffine } from '../../../src/features/quantize.js';
import { createS8Simulator } from '../../../src/quant/s8/simulate.js';
import { kwsSoftmax } from '../../../src/quant/softmax.js';
import { Random } from '../../../src/random.js';
import { runHarness } from '../../cmsis/host.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { INCLUDE_DIR, STRICT_FLAGS, buildCmsisNnLibrary, compileS8Harness, skipWithoutCmsisNn } from './host.js';
import { presetFloatNetwork, quantizedS8, randomFeatures, randomFloatNetwork, randomInt8Inputs } from './networks.js';

const RANDOM_INPUTS = 300;
const FEATURE_INPUTS = 60;

const workDir = tempDir('s8-parity');

let builtLibrary: string | undefined;
/** ARM's kernels as a static library, compiled once for the file. */
function library(): string {
  builtLibrary ??= buildCmsisNnLibrary(path.join(workDir, 'cmsis-nn'));
  return builtLibrary;
}

describe.skipIf(skipWithoutCmsisNn)(
  'emitted s8 C matches the simulator (ARM CMSIS-NN, gcc -Wall -Wextra -Werror)',
  () => {
    /** Runs `inputs` through the compiled C and the simulator; returns how many distinct logit vectors came out. */
    function expectParity(network: S8Network, name: string, inputs: Int8Array): number {
      const outDir = path.join(workDir, name);
      emitS8C(network, outDir);
      const classes = network.labels.length;
      const output = runHarness(compileS8Harness(outDir, network.architecture, library()), inputs, classes);
      const simulator = createS8Simulator(network);
      const table = s8ExpTable(network);
      const inputSize = network.frames * network.coefficients;
      const count = inputs.length / inputSize;
      expect(output.length).toBe(count);
      const mismatches: string[] = [];
      const distinct = new Set<string>();
      for (let n = 0; n < count; n++) {
        const logits = simulator.run(inputs.subarray(n * inputSize, (n + 1) * inputSize));
        const probabilities = kwsSoftmax(logits, table);
        const { logits: logitsC, probabilities: probabilitiesC } = output[n]!;
        if (logitsC.join() !== logits.join())
          mismatches.push(`input ${n} logits: C ${logitsC.join()} vs ${logits.join()}`);
        if (probabilitiesC.join() !== probabilities.join())
          mismatches.push(`input ${n} softmax: C ${probabilitiesC.join()} vs ${probabilities.join()}`);
        distinct.add(logits.join());
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
      return distinct.size;
    }

    /** 300 random int8 inputs and 60 quantised feature rows. */
    function inputsFor(network: S8Network, seed: number): Int8Array {
      const random = randomInt8Inputs(network, RANDOM_INPUTS, seed);
      const features = quantizeFeaturesAffine(
        randomFeatures(network, FEATURE_INPUTS, seed + 1),
        network.inputScale,
        network.inputZeroPoint,
      );
      const inputs = new Int8Array(random.length + features.length);
      inputs.set(random);
      inputs.set(features, random.length);
      return inputs;
    }

    it.each<[IntegerArchitecture, number]>([
      ['dnn', 11],
      ['cnn', 21],
      ['ds_cnn', 31],
      ['ds_cnn', 32],
    ])('small random %s (seed %i): logits and softmax bit-identical', (architecture, seed) => {
      const { network } = quantizedS8(randomFloatNetwork(architecture, seed), seed);
      const distinct = expectParity(network, `${architecture}-${seed}`, inputsFor(network, seed * 7919));
      // Guards against a degenerate network (every logit saturated) making the check vacuous.
      expect(distinct).toBeGreaterThan(RANDOM_INPUTS / 4);
    });

    it.each(['dnn_s', 'cnn_s', 'ds_cnn_s'])('the %s preset: logits and softmax bit-identical', (preset) => {
      const { network } = quantizedS8(presetFloatNetwork(preset, 5), 6, 'max', {}, 40);
      const distinct = expectParity(network, preset, inputsFor(network, 77));
      expect(distinct).toBeGreaterThan(RANDOM_INPUTS / 4);
    });

    it('per-tensor fully connected layers call arm_fully_connected_s8 and agree', () => {
      const { network } = quantizedS8(randomFloatNetwork('cnn', 23), 23, 'max', { denseQuantization: 'per-tensor' });
      expectParity(network, 'per-tensor', inputsFor(network, 5));
      const source = fs.readFileSync(path.join(workDir, 'per-tensor', 'cnn.c'), 'utf8');
      expect(source.match(/arm_fully_connected_s8\(/g)?.length).toBe(3);
      expect(source).not.toContain('arm_fully_connected_per_channel_s8(');
    });

    it('extreme multipliers, shifts, zero points and clamps agree too', () => {
      const random = new Random(99);
      const { network } = quantizedS8(randomFloatNetwork('ds_cnn', 33), 33);
      let zeroPoint = random.int(-128, 128);
      network.inputZeroPoint = zeroPoint;
      for (const layer of network.layers) {
        if (!isS8Weighted(layer)) {
          Object.assign(layer, { zeroPoint, activation: { min: -128, max: 127 } });
          continue;
        }
        for (let c = 0; c < layer.multipliers.length; c++) {
          layer.multipliers[c] = random.int(0, 8) === 0 ? 0 : random.int(2 ** 30, 2 ** 31);
          layer.shifts[c] = random.int(-31, 5);
          layer.bias[c] = random.int(-(2 ** 20), 2 ** 20);
        }
        layer.inputZeroPoint = zeroPoint;
        zeroPoint = random.int(-128, 128);
        layer.outputZeroPoint = zeroPoint;
        layer.activation = { min: layer.relu ? zeroPoint : -128, max: 127 };
      }
      expectParity(network, 'extreme', inputsFor(network, 3));
    });
  },
);

describe.skipIf(skipWithoutCmsisNn)("scratch sizes agree with CMSIS-NN's get_buffer_size functions", () => {
  it('for convolutions and depthwise convolutions of many shapes, on every build', () => {
    const random = new Random(4);
    const geometries: ConvGeometry[] = [];
    for (let n = 0; n < 120; n++) {
      // Every fourth a 1×N convolution over a one-row input with channels a multiple of 4 (its own kernel and buffer).
      const oneRow = n % 4 === 0;
      const kernel = { y: oneRow ? 1 : random.int(1, 6), x: random.int(1, 6) };
      const stride = { y: random.int(1, 3), x: random.int(1, 3) };
      const input = {
        height: oneRow ? 1 : random.int(1, 30),
        width: random.int(1, 30),
        channels: oneRow ? 4 * random.int(1, 17) : random.int(1, 70),
      };
      const same = random.int(0, 2) === 0;
      const outputHeight = same
        ? Math.ceil(input.height / stride.y)
        : Math.ceil((input.height - kernel.y + 1) / stride.y);
      const outputWidth = same ? Math.ceil(input.width / stride.x) : Math.ceil((input.width - kernel.x + 1) / stride.x);
      if (outputHeight < 1 || outputWidth < 1) continue;
      const padding = {
        y: same ? Math.max(0, Math.floor(((outputHeight - 1) * stride.y + kernel.y - input.height) / 2)) : 0,
        x: same ? Math.max(0, Math.floor(((outputWidth - 1) * stride.x + kernel.x - input.width) / 2)) : 0,
      };
      geometries.push({
        input,
        output: { height: outputHeight, width: outputWidth, channels: random.int(1, 70) },
        kernel,
        stride,
        padding,
      });
    }
    const calls = geometries.flatMap((g) => {
      const conv =
        `{ cmsis_nn_conv_params p = {0, 0, {${g.stride.x}, ${g.stride.y}}, {${g.padding.x}, ${g.padding.y}}, {1, 1}, {-128, 127}};\n` +
        `  cmsis_nn_dims i = {1, ${g.input.height}, ${g.input.width}, ${g.input.channels}};\n` +
        `  cmsis_nn_dims f = {${g.output.channels}, ${g.kernel.y}, ${g.kernel.x}, ${g.input.channels}};\n` +
        `  cmsis_nn_dims o = {1, ${g.output.height}, ${g.output.width}, ${g.output.channels}};\n` +
        '  printf("%d %d %d\\n", (int)arm_convolve_wrapper_s8_get_buffer_size_mve(&p, &i, &f, &o), ' +
        '(int)arm_convolve_wrapper_s8_get_buffer_size_dsp(&p, &i, &f, &o), (int)arm_convolve_wrapper_s8_get_buffer_size(&p, &i, &f, &o)); }';
      const depthwise =
        `{ cmsis_nn_dw_conv_params p = {0, 0, 1, {${g.stride.x}, ${g.stride.y}}, {${g.padding.x}, ${g.padding.y}}, {1, 1}, {-128, 127}};\n` +
        `  cmsis_nn_dims i = {1, ${g.input.height}, ${g.input.width}, ${g.input.channels}};\n` +
        `  cmsis_nn_dims f = {1, ${g.kernel.y}, ${g.kernel.x}, ${g.input.channels}};\n` +
        `  cmsis_nn_dims o = {1, ${g.output.height}, ${g.output.width}, ${g.input.channels}};\n` +
        '  printf("%d %d %d\\n", (int)arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(&p, &i, &f, &o), ' +
        '(int)arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(&p, &i, &f, &o), (int)arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &i, &f, &o)); }';
      return [conv, depthwise];
    });
    const dir = path.join(workDir, 'sizes');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'sizes.c'),
      `#include <stdio.h>\n#include "arm_nnfunctions.h"\nint main(void) {\n${calls.join('\n')}\nreturn 0;\n}\n`,
    );
    execFileSync('gcc', [
      ...STRICT_FLAGS,
      '-I',
      INCLUDE_DIR,
      path.join(dir, 'sizes.c'),
      library(),
      '-o',
      path.join(dir, 'sizes'),
    ]);
    const rows = execFileSync(path.join(dir, 'sizes')).toString().trim().split('\n');
    const variants: KernelVariant[] = ['mve', 'dsp', 'plain'];
    geometries.forEach((g, n) => {
      const [convC, depthwiseC] = [rows[2 * n]!, rows[2 * n + 1]!].map((row) => row.split(' ').map(Number));
      variants.forEach((variant, v) => {
        const conv = convolveWrapperBytes(g, variant);
        // gcc gets no buffer for the DSP 1×1 fast kernel; Arm's compiler does, and the emitted size covers it.
        if (variant === 'dsp' && conv > 0 && convC![v] === 0) expect(conv).toBe(4 * g.input.channels);
        else expect(conv, `conv ${JSON.stringify(g)} on ${variant}`).toBe(convC![v]);
        const dwGeometry = { ...g, output: { ...g.output, channels: g.input.channels } };
        expect(depthwiseWrapperBytes(dwGeometry, variant), `depthwise ${JSON.stringify(g)} on ${variant}`).toBe(
          depthwiseC![v],
        );
      });
    });
  });
});
