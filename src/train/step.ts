/**
 * One optimisation step and batched inference: the parts of training that touch tensors.
 * Kept apart from the loop so the loop (schedule, checkpoints, logs) stays plain control flow.
 */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows } from '../eval/metrics.js';

export interface StepResult {
  loss: number;
  accuracy: number;
}

/** Adam with TF1's defaults (ε 1e-8; tfjs would otherwise use its backend epsilon). */
export function createOptimizer(learningRate: number): tf.AdamOptimizer {
  return tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
}

export function setLearningRate(optimizer: tf.AdamOptimizer, learningRate: number): void {
  // tfjs reads the rate on every applyGradients; it has no public setter.
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

/** Mean softmax cross-entropy step on one batch; batch norm runs in training mode and updates its moving statistics. */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: Float32Array,
  y: Int32Array,
  labelCount: number,
): StepResult {
  const batch = y.length;
  const inputSize = x.length / batch;
  let logitsKept: tf.Tensor | undefined;
  const lossTensor = tf.tidy(() => {
    const xs = tf.tensor2d(x, [batch, inputSize]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), labelCount);
    return optimizer.minimize(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor;
      logitsKept = tf.keep(logits);
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, true) as tf.Scalar;
  });
  const loss = lossTensor.dataSync()[0]!;
  lossTensor.dispose();
  const logits = logitsKept!.dataSync() as Float32Array;
  logitsKept!.dispose();
  const predicted = argmaxRows(logits, labelCount);
  let correct = 0;
  for (let i = 0; i < batch; i++) if (predicted[i] === y[i]) correct++;
  return { loss, accuracy: correct / batch };
}
