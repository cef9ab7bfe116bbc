import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import {
  deserializeWeights,
  loadModelDir,
  saveModelDir,
  serializeWeights,
  type ModelSidecar,
} from '../../src/models/io.js';
import { buildModel } from '../../src/models/build/index.js';
import { ARCHITECTURE_NAMES, type ModelSpec } from '../../src/models/registry.js';
import { testTempDir } from '../helpers/temp-dir.js';
import { SMALL_SPECS } from './small-specs.js';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(() => {
  root = testTempDir('models-io');
});

function sidecarFor(spec: ModelSpec): ModelSidecar {
  return {
    architecture: spec.architecture,
    modelSizeInfo: spec.modelSizeInfo,
    feature: { ...DEFAULT_FEATURE_CONFIG },
    labels: ['_silence_', '_unknown_', ...Array.from({ length: spec.labelCount - 2 }, (_, i) => `word${i}`)],
  };
}

function input(spec: ModelSpec, seed: number): tf.Tensor2D {
  return tf.randomNormal<tf.Rank.R2>([3, spec.frames * spec.coefficients], 0, 1, 'float32', seed);
}

/** A model whose batch-norm moving statistics have moved off their initial 0 and 1. */
function trainedLookingModel(spec: ModelSpec): tf.LayersModel {
  const model = buildModel(spec, 21);
  const x = input(spec, 4);
  tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
  x.dispose();
  return model;
}

describe.each(ARCHITECTURE_NAMES.map((name) => [name, SMALL_SPECS[name]] as const))('%s save/load', (_, spec) => {
  it('round-trips to identical predictions and sidecar', async () => {
    const model = trainedLookingModel(spec);
    const dir = path.join(root, 'model');
    const sidecar = sidecarFor(spec);
    await saveModelDir(dir, model, sidecar);
    const loaded = await loadModelDir(dir);
    const x = input(spec, 9);
    try {
      const before = (model.predict(x) as tf.Tensor).dataSync();
      const after = (loaded.model.predict(x) as tf.Tensor).dataSync();
      expect(Array.from(after)).toEqual(Array.from(before));
      expect(loaded.sidecar).toEqual(sidecar);
      expect(loaded.model.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      expect(loaded.model.trainableWeights.length).toBe(model.trainableWeights.length);
    } finally {
      x.dispose();
      model.dispose();
      loaded.model.dispose();
    }
  });
});

describe('model directories', () => {
  const spec = SMALL_SPECS.dnn;

  it('replaces a previous save and leaves no temporary or old directories', async () => {
    const dir = path.join(root, 'model');
    const first = buildModel(spec, 1);
    const second = buildModel(spec, 2);
    await saveModelDir(dir, first, sidecarFor(spec));
    await saveModelDir(dir, second, { ...sidecarFor(spec), preset: 'mine' });
    const loaded = await loadModelDir(dir);
    expect(loaded.sidecar.preset).toBe('mine');
    const x = input(spec, 5);
    expect(Array.from((loaded.model.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((second.predict(x) as tf.Tensor).dataSync()),
    );
    expect(fs.readdirSync(root)).toEqual(['model']);
    x.dispose();
    [first, second, loaded.model].forEach((m) => m.dispose());
  });

  it('restores the previous model after a crash between the two renames', async () => {
    const dir = path.join(root, 'model');
    const model = buildModel(spec, 1);
    await saveModelDir(dir, model, sidecarFor(spec));
    fs.renameSync(dir, path.join(root, '.model.old-123-1'));
    const loaded = await loadModelDir(dir);
    expect(loaded.sidecar.architecture).toBe('dnn');
    model.dispose();
    loaded.model.dispose();
  });

  it('refuses to replace a directory that is not a saved model', async () => {
    const dir = path.join(root, 'precious');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const model = buildModel(spec, 1);
    await expect(saveModelDir(dir, model, sidecarFor(spec))).rejects.toThrow(/refusing to replace .*precious/);
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
    model.dispose();
  });

  it('reports missing and damaged files as KwsErrors naming the file', async () => {
    const dir = path.join(root, 'model');
    await expect(loadModelDir(dir)).rejects.toThrow(`model directory ${dir} does not exist`);
    const model = buildModel(spec, 1);
    await saveModelDir(dir, model, sidecarFor(spec));
    model.dispose();
    const weights = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(weights);

    fs.writeFileSync(weights, bytes.subarray(0, bytes.length - 8));
    await expect(loadModelDir(dir)).rejects.toThrow(/weights\.bin is damaged: \d+ bytes, model\.json describes \d+/);
    fs.rmSync(weights);
    await expect(loadModelDir(dir)).rejects.toThrow(/is incomplete: weights\.bin is missing/);
    fs.writeFileSync(weights, bytes);

    const modelJson = path.join(dir, 'model.json');
    const topology = fs.readFileSync(modelJson, 'utf8');
    fs.writeFileSync(modelJson, topology.slice(0, 40));
    await expect(loadModelDir(dir)).rejects.toThrow(/model\.json is damaged: not valid JSON/);
    fs.writeFileSync(modelJson, topology);

    const sidecarFile = path.join(dir, 'kws-model.json');
    fs.writeFileSync(sidecarFile, JSON.stringify({ architecture: 'dnn', modelSizeInfo: [16, 12], feature: {} }));
    await expect(loadModelDir(dir)).rejects.toThrow(/kws-model\.json is damaged: missing or invalid labels/);
    fs.writeFileSync(sidecarFile, JSON.stringify({ ...sidecarFor(spec), labels: ['a', 'b'] }));
    await expect(loadModelDir(dir)).rejects.toThrow(/the model has 5 outputs but kws-model\.json lists 2 labels/);
    fs.rmSync(sidecarFile);
    await expect(loadModelDir(dir)).rejects.toThrow(KwsError);
    await expect(loadModelDir(dir)).rejects.toThrow(/is not a kws model directory \(no kws-model\.json\)/);
  });
});

describe('weight serialisation', () => {
  it('round-trips named tensors and rejects a wrong-size blob', async () => {
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tf.tensor1d([7, 8], 'int32');
    const { specs, data } = await serializeWeights([
      { name: 'a', tensor: a },
      { name: 'b', tensor: b },
    ]);
    const restored = deserializeWeights(specs, data);
    expect(restored['a']!.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(restored['b']!.dtype).toBe('int32');
    expect(Array.from(restored['b']!.dataSync())).toEqual([7, 8]);
    expect(() => deserializeWeights(specs, data.subarray(4))).toThrow(
      /weights hold 28 bytes but their manifest describes 32/,
    );
    tf.dispose([a, b, ...Object.values(restored)]);
  });
});
