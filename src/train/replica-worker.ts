/**
 * Worker-thread entry of a gradient replica: its own TensorFlow.js backend and copy of the model.
 * Each request carries the current trainable weights and a slice of the batch; the reply carries
 * that slice's gradients, loss and logits (buffers transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendPreference } from '../backend/index.js';
import { errorMessage } from '../errors.js';
import { buildModel } from '../models/build/index.js';
import type { ModelSpec } from '../models/spec.js';
import { batchGradients } from './step.js';

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
  parentPort!.on('message', ({ weights, x, y, labelCount }: ReplicaRequest) => {
    try {
      tf.tidy(() =>
        model.trainableWeights.forEach((weight, i) => weight.write(tf.tensor(weights[i]!, weight.shape as number[]))),
      );
      const { grads, loss, logits } = batchGradients(model, x, y, labelCount);
      const arrays = grads.map((grad) => grad.dataSync() as Float32Array);
      tf.dispose(grads);
      const reply: ReplicaReply = { type: 'gradients', grads: arrays, loss, logits };
      parentPort!.postMessage(
        reply,
        [...arrays, logits].map((array) => array.buffer as ArrayBuffer),
      );
    } catch (error) {
      parentPort!.postMessage({ type: 'error', message: errorMessage(error) } satisfies ReplicaReply);
    }
  });
  parentPort!.postMessage({ type: 'ready' } satisfies ReplicaReply);
} catch (error) {
  parentPort!.postMessage({ type: 'error', message: errorMessage(error) } satisfies ReplicaReply);
}
