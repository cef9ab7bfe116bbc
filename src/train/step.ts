/**
 * One optimisation step and batched inference: the parts of training that touch tensors.
 * Kept apart from the loop so the loop (schedule, checkpoints, logs) stays plain control flow.
 *
 * On the wasm backend, models the training plan implements (DS-CNN, CNN, DNN) compute their
 * gradients in it (src/backend/plan); other models, and the cpu and node backends, use tfjs's
 * autodiff. Either way the weights and Adam's state live in tfjs variables.
 */
import * as tf from '@tensorflow/tfjs';
import { FusedAdam } from '../backend/adam.js';
import { TrainingPlan, updateMovingStatistics, type PlanProfile } from '../backend/plan/plan.js';
import { argmaxRows } from '../metrics.js';

export interface StepResult {
  loss: number;
  accuracy: number;
}

/** Adam with TF1's defaults (ε 1e-8; tfjs would otherwise use its backend epsilon). */
export function createOptimizer(learningRate: number): tf.AdamOptimizer {
  return new FusedAdam(learningRate, 0.9, 0.999, 1e-8);
}

export function setLearningRate(optimizer: tf.AdamOptimizer, learningRate: number): void {
  // tfjs reads the rate on every applyGradients; it has no public setter.
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

/** Gradients of the mean softmax cross-entropy over one batch, with that loss and the batch's logits. */
export interface BatchGradients {
  /** One per trainable variable, in `model.trainableWeights` order. */
  grads: Float32Array[];
  loss: number;
  logits: Float32Array;
}

/** The model's training plan when this backend runs it (wasm), else undefined. */
export function trainingPlan(model: tf.LayersModel): TrainingPlan | undefined {
  return tf.getBackend() === 'wasm' ? TrainingPlan.of(model) : undefined;
}

/** The trainable weights' current values, in `model.trainableWeights` order. */
export function trainableValues(model: tf.LayersModel): Float32Array[] {
  return model.trainableWeights.map((weight) => weight.read().dataSync() as Float32Array);
}

/** Batch norm runs in training mode (batch statistics) and updates its moving statistics. */
export function batchGradients(
  model: tf.LayersModel,
  x: Float32Array,
  y: Int32Array,
  labelCount: number,
): BatchGradients {
  const plan = trainingPlan(model);
  if (plan) {
    const { grads, loss, logits, statistics } = plan.gradients(trainableValues(model), x, y, labelCount);
    tf.tidy(() => updateMovingStatistics(plan, statistics));
    return { grads, loss, logits };
  }
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
  const arrays = variables.map((variable) => grads[variable.name]!.dataSync() as Float32Array);
  tf.dispose(grads);
  return { grads: arrays, loss, logits };
}

/** Loss and accuracy of a step, from its logits. */
export function stepResult(loss: number, logits: Float32Array, y: Int32Array, labelCount: number): StepResult {
  const predicted = argmaxRows(logits, labelCount);
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) correct++;
  return { loss, accuracy: correct / y.length };
}

/** Applies gradients given in `model.trainableWeights` order. */
export function applyGradients(model: tf.LayersModel, optimizer: tf.Optimizer, grads: readonly Float32Array[]): void {
  const named: tf.NamedTensorMap = {};
  model.trainableWeights.forEach((weight, i) => {
    const variable = weight.read() as tf.Variable;
    named[variable.name] = tf.tensor(grads[i]!, variable.shape);
  });
  optimizer.applyGradients(named);
  tf.dispose(Object.values(named));
}

/** Where a step's gradients come from: the model itself, or quantisation-aware training's network (qat.ts). */
export type GradientSource = (x: Float32Array, y: Int32Array, labelCount: number) => BatchGradients;

/** One optimisation step on one batch (what ARM's training loop does per step). */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: Float32Array,
  y: Int32Array,
  labelCount: number,
  gradients: GradientSource = (xs, ys, labels) => batchGradients(model, xs, ys, labels),
): StepResult {
  const { grads, loss, logits } = gradients(x, y, labelCount);
  applyGradients(model, optimizer, grads);
  return stepResult(loss, logits, y, labelCount);
}

/** Switches per-pass timing of the model's training plan on (a fresh map) or off; undefined without a plan. */
export function profileTrainingPlan(model: tf.LayersModel, on: boolean): PlanProfile | undefined {
  const plan = trainingPlan(model);
  if (!plan) return undefined;
  plan.profile = on ? new Map() : undefined;
  return plan.profile;
}
