/**
 * Worker-thread entry of a gradient replica: its own TensorFlow.js backend and copy of the model.
 * Each request carries the current trainable weights and a slice of the batch; the reply carries
 * that slice's gradients, loss and logits (buffers transferred, not copied). Models with a
 * training plan compute straight from the request's weights; others load them into the copy first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendPreference } from '../backend/index.js';
import { errorMessage } from '../errors.js';
import { buildModel } from '../models/build/index.js';
import type { ModelSpec } from '../models/spec.js';
import { batchGradients, trainingPlan, type BatchGradients } from './step.js';

export interface ReplicaWorkerData {
  spec: ModelSpec;
  backend: BackendPreference;
}

export type ReplicaRequest = { weights: Float32Array[]; x: Float32Array; y: Int32Array; labelCount: number };

export type ReplicaReply =
  | { type: 'ready' }
  | { type: 'gradients'; grads: Float32Array[]; loss: number; logits: Float32Array }
  | { type: 'error'; message: string };

const { spec, backend } = workerData as ReplicaWorkerData;
try {
  await initBackend(backend);
  const model = buildModel(spec);
  const plan = trainingPlan(model);
  const gradientsOf = ({ weights, x, y, labelCount }: ReplicaRequest): BatchGradients => {
    if (plan) return plan.gradients(weights, x, y, labelCount);
    tf.tidy(() =>
      model.trainableWeights.forEach((weight, i) => weight.write(tf.tensor(weights[i]!, weight.shape as number[]))),
    );
    return batchGradients(model, x, y, labelCount);
  };
  parentPort!.on('message', (request: ReplicaRequest) => {
    try {
      const { grads, loss, logits } = gradientsOf(request);
      const reply: ReplicaReply = { type: 'gradients', grads, loss, logits };
      parentPort!.postMessage(
        reply,
        [...grads, logits].map((array) => array.buffer as ArrayBuffer),
      );
    } catch (error) {
      parentPort!.postMessage({ type: 'error', message: errorMessage(error) } satisfies ReplicaReply);
    }
  });
  parentPort!.postMessage({ type: 'ready' } satisfies ReplicaReply);
} catch (error) {
  parentPort!.postMessage({ type: 'error', message: errorMessage(error) } satisfies ReplicaReply);
}
