/**
 * What `emittedCMemory` says the emitted recurrent C declares (for `kws info`, from the shape
 * alone) is what it declares: the C of the S presets and small variants is compiled and its
 * symbols measured with nm.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureGeometry } from '../../../src/features/config.js';
import { profileModel } from '../../../src/models/profile.js';
import { emittedCMemory } from '../../../src/quant/c-memory.js';
import { emitRecurrentC } from '../../../src/quant/recurrent/emit-c.js';
import { quantizeRecurrentModel } from '../../../src/quant/recurrent/quantize.js';
import { CMSIS_DIR, skipWithoutGcc } from '../../cmsis/host.js';
import { tempDir } from '../../helpers/temp-dir.js';
import {
  LABELS,
  SMALL_CASES,
  S_PRESETS,
  describe as description,
  presetCase,
  randomFeatures,
  randomRecurrentModel,
} from './models.js';

const workDir = tempDir('recurrent-c-memory');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Symbol sizes of the compiled model source, by name (nm -S: address, size, type, name). */
function symbolSizes(source: string, includeDir: string): Map<string, number> {
  const object = source.replace(/\.c$/, '.o');
  execFileSync('gcc', ['-std=c99', '-O1', '-c', '-I', includeDir, '-I', CMSIS_DIR, source, '-o', object]);
  const sizes = new Map<string, number>();
  for (const line of execFileSync('nm', ['-S', object], { encoding: 'utf8' }).split('\n')) {
    const [, size, type, name] = line.trim().split(/\s+/);
    if (name && size && /^[bBdDrR]$/.test(type ?? '')) sizes.set(name, parseInt(size, 16));
  }
  return sizes;
}

describe.skipIf(skipWithoutGcc)('kws info memory of the emitted recurrent C', () => {
  it.each([...S_PRESETS.map(presetCase), ...SMALL_CASES].map((c) => [c.name, c] as const))(
    '%s: weights, activation buffers and scratch equal the compiled C',
    (name, c) => {
      const { frames, coefficients } = featureGeometry(c.feature);
      const spec = {
        architecture: c.architecture,
        modelSizeInfo: c.modelSizeInfo,
        frames,
        coefficients,
        labelCount: LABELS.length,
      };
      const model = randomRecurrentModel(c, 3);
      const { network } = quantizeRecurrentModel({
        model,
        description: description(c),
        calibration: { x: randomFeatures(c, 4, 4), y: new Int32Array(4) },
        method: 'max',
      });
      model.dispose();
      const outDir = path.join(workDir, name.replace(/[^a-z0-9_]+/g, '-'));
      const files = emitRecurrentC(network, outDir);
      const sizes = symbolSizes(files.modelSource, outDir);
      const sumOf = (pattern: RegExp) =>
        [...sizes].filter(([symbol]) => pattern.test(symbol)).reduce((total, [, size]) => total + size, 0);
      const scratch = /^(gates_tmp|step_input|head_q15|col_buffer)$/;
      const activations = /^(gates|\w+_(h|c|m|out))$/;
      const weights = /_(wt|bias|peephole)$/;
      expect(
        [...sizes.keys()].filter(
          // kws_softmax's table is counted for no network (it is the scoring, not the network).
          (symbol) =>
            !scratch.test(symbol) && !activations.test(symbol) && !weights.test(symbol) && symbol !== 'kws_softmax_exp',
        ),
      ).toEqual([]);
      const expected = emittedCMemory(profileModel(spec));
      expect({ weights: sumOf(weights), activationBuffers: sumOf(activations), scratch: sumOf(scratch) }).toEqual({
        weights: expected.weights,
        activationBuffers: expected.activationBuffers,
        scratch: expected.scratch,
      });
    },
  );
});
