/**
 * What `--train-workers auto` picks: two gradient threads when the machine has a second core to take
 * half of every batch and the model's step is long enough for that to pay for the exchange of weights
 * and gradients — the convolutional models. A DNN step is too short: the copying outweighs the gain.
 * The choice depends on the machine and the model only, never on its momentary load, so the same
 * command gives the same run (with batch norm, one and two threads train slightly different models).
 * On cores busy with other jobs the second thread competes with the first (measured: DS-CNN-S 600
 * samples/s on two threads against 682 on one at load 5 on 2 cores): pass --train-workers 1 there.
 */
import os from 'node:os';

/** Architectures whose training step splits profitably across two threads. */
const SPLIT_PAYS = new Set(['ds_cnn', 'cnn']);

export interface WorkerChoice {
  workers: 1 | 2;
  /** Why, for the user. */
  reason: string;
}

export function autoTrainWorkers(architecture: string, batchSize: number): WorkerChoice {
  const cores = os.availableParallelism();
  if (cores < 2) return { workers: 1, reason: 'one core' };
  if (batchSize < 2) return { workers: 1, reason: 'a batch of one cannot be split' };
  if (!SPLIT_PAYS.has(architecture))
    return { workers: 1, reason: `a ${architecture} step is too short for a second thread to pay` };
  return { workers: 2, reason: `${cores} cores and a convolutional model` };
}
