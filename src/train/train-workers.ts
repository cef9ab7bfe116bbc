/**
 * What `--train-workers auto` picks: two gradient threads when a second core can take half of
 * every batch and the model's step is long enough for that to pay for the exchange of weights and
 * gradients — the convolutional models. A DNN step is too short: the copying outweighs the gain.
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
