/**
 * Training-mode batch norm with a learned offset β and no scale (slim's DS-CNN setting), as one
 * differentiable op. On wasm and cpu it runs the fused kernels of kernels/batch-norm.ts; on any
 * other backend (tfjs-node) it falls back to the same arithmetic composed from tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_BACKWARD, BATCH_NORM_FORWARD, BATCH_NORM_KERNELS } from './kernels/batch-norm.js';

export interface BatchNormResult {
  /** (x − mean) / √(variance + ε) + β */
  y: tf.Tensor;
  /** Batch mean per channel (last axis). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, as tf.moments computes it. */
  variance: tf.Tensor1D;
}

for (const config of BATCH_NORM_KERNELS) {
  if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
}

function composite(x: tf.Tensor, beta: tf.Tensor1D, epsilon: number): BatchNormResult {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.add(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), beta);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * Normalises `x` over every axis but the last with its batch statistics and adds `beta`.
 * Gradients flow to `x` and `beta`; `mean` and `variance` are for the moving averages only.
 */
export function batchNormTraining(x: tf.Tensor, beta: tf.Tensor1D, epsilon: number): BatchNormResult {
  if (!tf.getKernel(BATCH_NORM_FORWARD, tf.getBackend())) return composite(x, beta, epsilon);
  const attrs = { epsilon };
  let statistics: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, offset, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, variance] = tf
      .engine()
      .runKernel<tf.Tensor[]>(BATCH_NORM_FORWARD, { x: input, beta: offset }, attrs);
    // The forward function runs inside a tidy that would free anything but `value`.
    statistics = [tf.keep(mean as tf.Tensor1D), tf.keep(variance as tf.Tensor1D)];
    save([input, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy, saved) => {
        const [savedX, savedMean, savedVariance] = saved;
        return tf
          .engine()
          .runKernel<tf.Tensor[]>(
            BATCH_NORM_BACKWARD,
            { dy: dy, x: savedX!, mean: savedMean!, variance: savedVariance! },
            attrs,
          );
      },
    };
  });
  const y = op(x, beta);
  // Clones (free on wasm and cpu: they share memory) belong to the caller's scope, unlike the kept originals.
  const [mean, variance] = statistics!.map((kept) => {
    const owned = kept.clone();
    kept.dispose();
    return owned;
  });
  return { y, mean: mean!, variance: variance! };
}
