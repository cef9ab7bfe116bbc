/**
 * What `kws info` says the emitted C declares must be what it declares: the emitted C of the S
 * presets (and the small test models) is compiled and its symbols measured with nm.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureGeometry, type FeatureConfig } from '../../src/features/config.js';
import { buildModel } from '../../src/models/build/index.js';
import { loadPreset, presetFeatureConfig } from '../../src/models/presets.js';
import { profileModel } from '../../src/models/profile.js';
import type { Architecture } from '../../src/models/spec.js';
import { emittedCMemory } from '../../src/quant/c-memory.js';
import { emitC } from '../../src/quant/emit-c.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { Random } from '../../src/random.js';
import { CMSIS_DIR, skipWithoutGcc } from '../cmsis/host.js';
import { tempDir } from '../helpers/temp-dir.js';
import { LABELS, SMALL_FEATURES, SMALL_SIZE_INFO } from './models.js';

const workDir = tempDir('c-memory');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Symbol sizes of the compiled model source, by name (nm -S: address, size, type, name). */
function symbolSizes(source: string, includeDir: string): Map<string, number> {
  const object = source.replace(/\.c$/, '.o');
  execFileSync('gcc', [
    '-std=c99',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-O1',
    '-c',
    '-I',
    includeDir,
    '-I',
    CMSIS_DIR,
    source,
    '-o',
    object,
  ]);
  const sizes = new Map<string, number>();
  for (const line of execFileSync('nm', ['-S', object], { encoding: 'utf8' }).split('\n')) {
    const [, size, , name] = line.trim().split(/\s+/);
    if (name && size) sizes.set(name, parseInt(size, 16));
  }
  return sizes;
}

const cases: Array<[string, Architecture, number[], FeatureConfig]> = [
  ...(['ds_cnn_s', 'cnn_s', 'dnn_s'] as const).map((name): [string, Architecture, number[], FeatureConfig] => {
    const preset = loadPreset(name);
    return [name, preset.architecture, preset.modelSizeInfo, presetFeatureConfig(preset)];
  }),
  ...(['dnn', 'cnn', 'ds_cnn'] as const).map((architecture): [string, Architecture, number[], FeatureConfig] => [
    `small ${architecture}`,
    architecture,
    SMALL_SIZE_INFO[architecture],
    SMALL_FEATURES,
  ]),
  // One hidden layer: two stages, so a single activation buffer.
  ['one-layer dnn', 'dnn', [24], SMALL_FEATURES],
];

describe.skipIf(skipWithoutGcc)('kws info memory of the emitted C', () => {
  it.each(cases)(
    '%s: weights, activation buffers and scratch equal the compiled C',
    (name, architecture, sizeInfo, feature) => {
      const { frames, coefficients } = featureGeometry(feature);
      const spec = { architecture, modelSizeInfo: sizeInfo, frames, coefficients, labelCount: LABELS.length };
      const model = buildModel(spec, 1);
      const random = new Random(2);
      const examples = 8;
      const calibration = {
        x: Float32Array.from({ length: examples * frames * coefficients }, () => random.normal() * 6),
        y: Int32Array.from({ length: examples }, (_, i) => i % LABELS.length),
      };
      const { network } = quantizeModel({
        model,
        description: { architecture, feature, labels: LABELS },
        calibration,
        method: 'max',
      });
      model.dispose();
      const outDir = path.join(workDir, name.replace(' ', '-'));
      const files = emitC(network, outDir);
      const sizes = symbolSizes(files.modelSource, outDir);
      const sumOf = (pattern: RegExp) =>
        [...sizes].filter(([symbol]) => pattern.test(symbol)).reduce((total, [, size]) => total + size, 0);
      const expected = emittedCMemory(profileModel(spec));
      expect({
        weights: sumOf(/_(wt|bias)$/),
        activationBuffers: sumOf(/^buffer[12]$/),
        scratch: sumOf(/^col_buffer$/),
      }).toEqual({
        weights: expected.weights,
        activationBuffers: expected.activationBuffers,
        scratch: expected.scratch,
      });
    },
  );
});
