/**
 * One optimisation step and batched inference: the parts of training that touch tensors.
 * Kept apart from the loop so the loop (schedule, checkpoints, logs) stays plain control flow.
 */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows } from '../metrics.js';

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

/** Gradients of the mean softmax cross-entropy over one batch, with that loss and the batch's logits. */
export interface BatchGradients {
  /** One per trainable variable, in `model.trainableWeights` order; the caller disposes them. */
  grads: tf.Tensor[];
  loss: number;
  logits: Float32Array;
}

/** Batch norm runs in training mode (batch statistics) and updates its moving statistics. */
export function batchGradients(
  model: tf.LayersModel,
  x: Float32Array,
  y: Int32Array,
  labelCount: number,
): BatchGradients {
  const batch = y.length;
  const inputSize = x.length / batch;
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  let logitsKept: tf.Tensor | undefined;
  const { value, grads } = tf.tidy(() => {
    const xs = tf.tensor2d(x, [batch, inputSize]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), labelCount);
    return tf.variableGrads(() => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor;
      logitsKept = tf.keep(logits);
      return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, logits);
    }, variables);
  });
  const loss = value.dataSync()[0]!;
  value.dispose();
  const logits = logitsKept!.dataSync() as Float32Array;
  logitsKept!.dispose();
  return { grads: variables.map((variable) => grads[variable.name]!), loss, logits };
}

/** Loss and accuracy of a step, from its logits. */
export function stepResult(loss: number, logits: Float32Array, y: Int32Array, labelCount: number): StepResult {
  const predicted = argmaxRows(logits, labelCount);
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) correct++;
  return { loss, accuracy: correct / y.length };
}

/** Applies gradients given in `model.trainableWeights` order, then disposes them. */
export function applyGradients(model: tf.LayersModel, optimizer: tf.Optimizer, grads: tf.Tensor[]): void {
  const named: tf.NamedTensorMap = {};
  model.trainableWeights.forEach((weight, i) => (named[(weight.read() as tf.Variable).name] = grads[i]!));
  optimizer.applyGradients(named);
  tf.dispose(grads);
}

/** One optimisation step on one batch (what ARM's training loop does per step). */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: Float32Array,
  y: Int32Array,
  labelCount: number,
): StepResult {
  const { grads, loss, logits } = batchGradients(model, x, y, labelCount);
  applyGradients(model, optimizer, grads);
  return stepResult(loss, logits, y, labelCount);
}
