/** What the training loop reads: training batches from the worker, and the cached validation and test features. */
import { createBatchSource, type BatchSource } from '../data/batch-source.js';
import { loadEvaluationSet } from '../data/evaluation-set.js';
import type { RunConfig } from '../run/config.js';
import { indexForRun } from '../run/data.js';

export interface LabelledFeatures {
  x: Float32Array;
  y: Int32Array;
}

export interface TrainingData {
  validation: LabelledFeatures;
  testing: LabelledFeatures;
  /** Training batches from batch number `startBatch` on (a resumed run continues the same sequence). */
  batches: BatchSource;
  warnings: string[];
  close(): Promise<void>;
}

export interface TrainingDataOptions {
  startBatch: number;
  cacheDir?: string;
  useWorker: boolean;
  onProgress?: (what: string, done: number, total: number) => void;
}

export async function openTrainingData(run: RunConfig, options: TrainingDataOptions): Promise<TrainingData> {
  const index = indexForRun(run);
  // The batch source comes first: it reports unreadable clips and missing noise before any feature work.
  const batches = await createBatchSource({
    index,
    feature: run.feature,
    augment: run.augment,
    batchSize: run.train.batchSize,
    seed: run.seed,
    useWorker: options.useWorker,
    startBatch: options.startBatch,
  });
  try {
    const evaluation = (set: 'validation' | 'testing') =>
      loadEvaluationSet({
        index,
        set,
        feature: run.feature,
        cacheDir: options.cacheDir,
        onProgress: options.onProgress ? (done, total) => options.onProgress!(set, done, total) : undefined,
      });
    const validation = await evaluation('validation');
    const testing = await evaluation('testing');
    return {
      validation: { x: validation.x, y: validation.y },
      testing: { x: testing.x, y: testing.y },
      batches,
      warnings: [...batches.warnings, ...validation.warnings, ...testing.warnings],
      close: () => batches.close(),
    };
  } catch (error) {
    await batches.close();
    throw error;
  }
}
