/**
 * Data-parallel training on two cores: a gradient replica on a worker thread takes part of each
 * batch while the main thread takes the rest; their gradients, weighted by slice size, make the
 * mean-loss gradient of the whole batch, applied once by the main thread's optimizer. Batch norm
 * sees per-slice batch statistics (the usual data-parallel compromise) and the moving statistics
 * follow the main thread's slice. The result depends only on the batch, not on timing.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend/index.js';
import { KwsError } from '../errors.js';
import type { ModelSpec } from '../models/spec.js';
import { workerPath } from '../worker-path.js';
import type { ReplicaReply, ReplicaRequest, ReplicaWorkerData } from './replica-worker.js';
import { applyGradients, batchGradients, stepResult, trainableValues, type StepResult } from './step.js';

type GradientsReply = Extract<ReplicaReply, { type: 'gradients' }>;

export class GradientReplica {
  private pending: { resolve: (reply: GradientsReply) => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: ReplicaReply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.type === 'gradients') pending?.resolve(reply);
      else if (reply.type === 'error') pending?.reject(new KwsError(`training replica: ${reply.message}`));
    });
    worker.on('error', (error) => this.fail(error));
    // A worker that dies mid-request (out of memory, say) must not leave the step waiting forever.
    worker.on('exit', (code) => this.fail(new KwsError(`training replica stopped (exit code ${code})`)));
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  /** A replica of the model `spec` on `backend` (the main thread's), ready for steps. */
  static start(spec: ModelSpec, backend: BackendName): Promise<GradientReplica> {
    const worker = new Worker(workerPath('train/replica-worker.js'), {
      workerData: { spec, backend } satisfies ReplicaWorkerData,
    });
    return new Promise((resolve, reject) => {
      worker.once('message', (reply: ReplicaReply) => {
        if (reply.type === 'ready') resolve(new GradientReplica(worker));
        else
          reject(
            new KwsError(`training replica could not start: ${reply.type === 'error' ? reply.message : reply.type}`),
          );
      });
      worker.once('error', reject);
    });
  }

  /** Gradients of `x`, `y` at `weights` (trainable weights in model order). One request at a time. */
  gradients(request: ReplicaRequest): Promise<GradientsReply> {
    if (this.pending) throw new Error('GradientReplica: one request at a time');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request, [request.x.buffer as ArrayBuffer, request.y.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** One optimisation step on the batch, split between this thread and `replica`. */
export async function parallelTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  replica: GradientReplica,
  x: Float32Array,
  y: Int32Array,
  labelCount: number,
): Promise<StepResult> {
  const batch = y.length;
  const inputSize = x.length / batch;
  const own = Math.ceil(batch / 2);
  // The replica's slice goes first so both threads work at once; copies, as its buffers are transferred.
  const remote = replica.gradients({
    weights: trainableValues(model),
    x: x.slice(own * inputSize),
    y: y.slice(own),
    labelCount,
  });
  const local = batchGradients(model, x.subarray(0, own * inputSize), y.subarray(0, own), labelCount);
  const other = await remote;
  const [ownShare, otherShare] = [own / batch, (batch - own) / batch];
  // In float32 like the tensor ops this replaced (so weights match the one-thread step as before).
  const [ownShare32, otherShare32] = [Math.fround(ownShare), Math.fround(otherShare)];
  const grads = local.grads.map((grad, i) => {
    const theirs = other.grads[i]!;
    return grad.map((g, j) => Math.fround(g * ownShare32) + Math.fround(theirs[j]! * otherShare32));
  });
  applyGradients(model, optimizer, grads);
  const logits = new Float32Array(batch * labelCount);
  logits.set(local.logits);
  logits.set(other.logits, own * labelCount);
  return stepResult(ownShare * local.loss + otherShare * other.loss, logits, y, labelCount);
}
