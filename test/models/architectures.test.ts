import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { listPresets, presetSpec } from '../../src/models/presets.js';
import { profileModel } from '../../src/models/profile.js';
import { buildModel } from '../../src/models/build/index.js';
import { ARCHITECTURE_NAMES, type Architecture, type ModelSpec } from '../../src/models/registry.js';
import { sizeNumbers } from '../../src/models/spec.js';
import { SMALL_SPECS } from './small-specs.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Trainable parameters worked out by hand from ARM's models.py, layer by layer (K = frames ×
 * coefficients input, L = labels). Independent of both tfjs and the profiler.
 */
function expectedTrainableParams(spec: ModelSpec): number {
  const { frames: T, coefficients: F, labelCount: L } = spec;
  const s = spec.modelSizeInfo;
  const dense = (inputs: number, units: number) => inputs * units + units;
  const validOut = (n: number, k: number, stride: number) => Math.ceil((n - k + 1) / stride);
  const gru = (inputs: number, units: number) => 3 * (inputs * units + units * units + units);
  switch (spec.architecture) {
    case 'dnn': {
      let total = 0;
      let inputs = T * F;
      for (const units of s) {
        total += dense(inputs, units);
        inputs = units;
      }
      return total + dense(inputs, L);
    }
    case 'cnn': {
      const [c1, kt1, kf1, st1, sf1, c2, kt2, kf2, st2, sf2, linear, fc] = sizeNumbers(s, 12);
      const t1 = validOut(T, kt1, st1),
        f1 = validOut(F, kf1, sf1);
      const t2 = validOut(t1, kt2, st2),
        f2 = validOut(f1, kf2, sf2);
      const conv1 = kt1 * kf1 * c1 + c1 + 2 * c1; // + BN γ, β
      const conv2 = kt2 * kf2 * c1 * c2 + c2 + 2 * c2;
      return conv1 + conv2 + dense(t2 * f2 * c2, linear) + dense(linear, fc) + 2 * fc + dense(fc, L);
    }
    case 'basic_lstm': {
      const [n] = sizeNumbers(s, 1);
      return 4 * (F * n + n * n + n) + dense(n, L);
    }
    case 'lstm': {
      const [p, n] = sizeNumbers(s, 2);
      // kernel, recurrent kernel over the projected state, bias, 3 peepholes, projection
      return 4 * n * F + 4 * n * p + 4 * n + 3 * n + n * p + dense(p, L);
    }
    case 'gru': {
      const [layers, n] = sizeNumbers(s, 2);
      let total = gru(F, n);
      for (let i = 1; i < layers; i++) total += gru(n, n);
      return total + dense(n, L);
    }
    case 'crnn': {
      const [c, kt, kf, , sf, layers, n, fc] = sizeNumbers(s, 8);
      const f = Math.floor((F - kf + sf) / sf);
      let total = kt * kf * c + c + gru(f * c, n);
      for (let i = 1; i < layers; i++) total += gru(n, n);
      return total + dense(n, fc) + dense(fc, L);
    }
    case 'ds_cnn': {
      const layers = s[0]!;
      const [c0, kt0, kf0] = sizeNumbers(s, 3, 1);
      let total = kt0 * kf0 * c0 + c0 + c0; // conv + bias + BN β (no γ)
      let channels = c0;
      for (let i = 1; i < layers; i++) {
        const [c, kt, kf] = sizeNumbers(s, 3, 1 + 5 * i);
        total += kt * kf * channels + channels + channels; // depthwise + bias + β
        total += channels * c + c + c; // pointwise + bias + β
        channels = c;
      }
      return total + dense(channels, L);
    }
  }
}

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((total, w) => total + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);
}

function randomBatch(spec: ModelSpec, batch: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal<tf.Rank.R2>([batch, spec.frames * spec.coefficients], 0, 1, 'float32', seed);
    const labels = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % spec.labelCount),
      'int32',
    );
    return { x, y: tf.oneHot(labels, spec.labelCount).toFloat() as tf.Tensor2D };
  });
}

describe.each(ARCHITECTURE_NAMES.map((name) => [name, SMALL_SPECS[name]] as const))('%s', (name, spec) => {
  it('has logits [batch, labels] and the hand-counted trainable parameters', () => {
    const model = buildModel(spec, 7);
    try {
      expect(model.inputs[0]!.shape).toEqual([null, spec.frames * spec.coefficients]);
      expect(model.outputs[0]!.shape).toEqual([null, spec.labelCount]);
      const expected = expectedTrainableParams(spec);
      expect(trainableCount(model)).toBe(expected);
      expect(profileModel(spec).params).toBe(expected);
    } finally {
      model.dispose();
    }
  });

  it('runs a forward and backward pass without NaN', () => {
    const model = buildModel(spec, 7);
    const { x, y } = randomBatch(spec, 4, 3);
    try {
      const { value, grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D).asScalar(),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const gradientNames = Object.keys(grads);
      expect(gradientNames.length).toBeGreaterThanOrEqual(model.trainableWeights.length);
      for (const gradient of Object.values(grads)) {
        expect(gradient.dataSync().every(Number.isFinite)).toBe(true);
      }
      // Every trainable weight receives some gradient (no layer is cut off from the loss).
      const nonZero = Object.values(grads).filter((g) => g.abs().sum().dataSync()[0]! > 0).length;
      expect(nonZero).toBe(Object.values(grads).length);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('builds identical weights from one seed and different ones from another', () => {
    const a = buildModel(spec, 11);
    const b = buildModel(spec, 11);
    const c = buildModel(spec, 12);
    try {
      const flat = (m: tf.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));
      expect(flat(a)).toEqual(flat(b));
      expect(flat(a)).not.toEqual(flat(c));
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('rejects a wrong-length model_size_info with what the numbers mean', () => {
    const wrong = { ...spec, modelSizeInfo: name === 'dnn' ? [] : [...spec.modelSizeInfo, 3] };
    expect(() => buildModel(wrong)).toThrow(UsageError);
    expect(() => buildModel(wrong)).toThrow(new RegExp(`^${name} takes .*numbers?`));
    expect(() =>
      buildModel({
        ...spec,
        modelSizeInfo: spec.modelSizeInfo.map((n, i) => (i === spec.modelSizeInfo.length - 1 ? 0 : n)),
      }),
    ).toThrow(UsageError);
  });
});

describe('model size validation', () => {
  it('names the architecture and what its numbers mean', () => {
    const spec: ModelSpec = {
      architecture: 'cnn',
      modelSizeInfo: [1, 2, 3],
      frames: 49,
      coefficients: 10,
      labelCount: 12,
    };
    expect(() => buildModel(spec)).toThrow(
      'cnn takes 12 numbers: c1 kt1 kf1 st1 sf1 c2 kt2 kf2 st2 sf2 linear fc ' +
        '(filters, kernel time and frequency, stride time and frequency of two VALID convolutions; ' +
        'then the linear and fc layer widths); got 3 (--model-size-info 1 2 3)',
    );
    expect(() => buildModel({ ...spec, architecture: 'ds_cnn', modelSizeInfo: [2, 64, 10, 4, 2, 2] })).toThrow(
      /with N = 2, 11 numbers; got 6/,
    );
  });

  it('rejects a kernel larger than its input and an unknown architecture', () => {
    const spec: ModelSpec = {
      architecture: 'crnn',
      modelSizeInfo: [8, 60, 4, 2, 2, 1, 8, 8],
      frames: 49,
      coefficients: 10,
      labelCount: 12,
    };
    expect(() => buildModel(spec)).toThrow(/crnn conv1: kernel time 60 is larger than its input \(49\)/);
    expect(() => buildModel({ ...spec, architecture: 'transformer' as Architecture })).toThrow(
      /unknown --model-architecture 'transformer'/,
    );
  });
});

describe('full presets (built, not run)', () => {
  it.each(listPresets().map((p) => [p.name, p] as const))('%s has the hand-counted parameters', (_, preset) => {
    const spec = presetSpec(preset);
    const model = buildModel(spec, 1);
    try {
      expect(trainableCount(model)).toBe(expectedTrainableParams(spec));
      expect(model.outputs[0]!.shape).toEqual([null, 12]);
      // The profiler's shapes (VALID/SAME output sizes) and weights agree with what tfjs built.
      const checked = profileModel(spec).layers.filter((cost) => {
        const layer = model.layers.find((l) => l.name === cost.name);
        if (!layer || !['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(layer.getClassName())) return false;
        const outputSize = (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
        expect([cost.name, outputSize, layer.countParams()]).toEqual([cost.name, cost.activations, cost.weights]);
        return true;
      });
      expect(checked.length).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });
});
