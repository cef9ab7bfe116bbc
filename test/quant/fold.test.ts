/** Folded batch norm + CMSIS-order float forward pass ≡ the unfolded tfjs model. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createFloatForward } from '../../src/quant/float-network.js';
import { foldModel } from '../../src/quant/fold.js';
import { LABELS, SMALL_SIZE_INFO, description, predict, randomFeatures, randomizedModel } from './models.js';

describe('foldModel', () => {
  it.each(['dnn', 'cnn', 'ds_cnn'] as const)(
    '%s: folded float network predicts what the tfjs model predicts',
    (architecture) => {
      const model = randomizedModel(architecture, SMALL_SIZE_INFO[architecture], 7);
      const network = foldModel(model, description(architecture));
      expect(network.layers.some((l) => l.kind === 'relu')).toBe(true);

      const count = 8;
      const x = randomFeatures(count, 3);
      const expected = predict(model, x);
      const forward = createFloatForward(network);
      const inputSize = network.frames * network.coefficients;
      let maxAbs = 0;
      for (let n = 0; n < count; n++) {
        const logits = forward.run(x.subarray(n * inputSize, (n + 1) * inputSize));
        for (let k = 0; k < LABELS.length; k++) {
          const want = expected[n * LABELS.length + k]!;
          maxAbs = Math.max(maxAbs, Math.abs(want));
          expect(logits[k]).toBeCloseTo(want, 3);
        }
      }
      // Non-trivial logits, so agreement means something.
      expect(maxAbs).toBeGreaterThan(0.1);
      model.dispose();
    },
  );

  it('names layers as ARM Deployment does', () => {
    const names = (architecture: 'dnn' | 'cnn' | 'ds_cnn') => {
      const model = randomizedModel(architecture, SMALL_SIZE_INFO[architecture], 1);
      const layers = foldModel(model, description(architecture)).layers.flatMap((l) =>
        l.kind === 'relu' ? [] : [l.name],
      );
      model.dispose();
      return layers;
    };
    expect(names('dnn')).toEqual(['IP1', 'IP2', 'IP3']);
    expect(names('cnn')).toEqual(['CONV1', 'CONV2', 'LINEAR', 'FC', 'FINAL_FC']);
    expect(names('ds_cnn')).toEqual(['CONV1', 'CONV2_DS', 'CONV2_PW', 'CONV3_DS', 'CONV3_PW', 'POOL', 'FINAL_FC']);
  });

  it('rejects architectures without integer kernels, naming them', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [72], units: 4 })] });
    expect(() => foldModel(model, description('gru'))).toThrow(/supports dnn, cnn, ds_cnn; this model is gru/);
    model.dispose();
  });
});
