/**
 * Training batches for the trainer: produced on a worker thread and prefetched (so the second
 * core featurises while the first trains), or in process. Both run the same BatchProducer, so
 * they give the same batches for the same seed.
 */
import { Worker } from 'node:worker_threads';
import { KwsError, asError } from '../errors.js';
import { workerPath } from '../worker-path.js';
import { validateFeatureConfig, type FeatureConfig } from '../features/config.js';
import { wantsNoise, type AugmentConfig } from './augment.js';
import {
  BatchProducer,
  loadTrainingMaterial,
  type Batch,
  type BatchSettings,
  type TrainingEntry,
} from './batch-producer.js';
import type { BatchWorkerData, WorkerReply, WorkerRequest } from './batch-worker.js';
import { assertTrainable, BACKGROUND_NOISE_FOLDER, type DatasetIndex } from './dataset-index.js';

export interface BatchSourceOptions {
  index: DatasetIndex;
  feature: FeatureConfig;
  augment: AugmentConfig;
  batchSize: number;
  seed: number;
  /** Batches requested ahead from the worker (default 2). */
  prefetch?: number;
  /** Produce on a worker thread (default true). */
  useWorker?: boolean;
  /** Index of the first batch `next()` returns, e.g. the step a resumed run continues from (default 0). */
  startBatch?: number;
}

export interface BatchSource {
  /** Training clips that loaded (unreadable ones are skipped and named in `warnings`). */
  readonly trainingClips: number;
  readonly warnings: readonly string[];
  next(): Promise<Batch>;
  close(): Promise<void>;
}

function checkOptions(options: BatchSourceOptions): void {
  const { index, augment, batchSize } = options;
  validateFeatureConfig(options.feature);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new KwsError(`--batch-size must be a whole number of at least 1 (got ${batchSize})`);
  assertTrainable(index);
  if (wantsNoise(augment) && index.noiseFiles.length === 0) {
    throw new KwsError(
      `no background noise WAVs in ${index.dataDir}/${BACKGROUND_NOISE_FOLDER}, ` +
        `but --background-frequency ${augment.backgroundFrequency} and --background-volume ${augment.backgroundVolume} ask for noise; ` +
        'add the recordings or pass --background-volume 0',
    );
  }
}

function noiseCheck(options: BatchSourceOptions, loadedNoiseFiles: number): void {
  if (wantsNoise(options.augment) && loadedNoiseFiles === 0) {
    throw new KwsError(
      `none of the background noise WAVs in ${options.index.dataDir}/${BACKGROUND_NOISE_FOLDER} could be read; ` +
        'pass --background-volume 0 to train without noise',
    );
  }
}

export async function createBatchSource(options: BatchSourceOptions): Promise<BatchSource> {
  checkOptions(options);
  const entries: TrainingEntry[] = options.index.sets.training.map((entry) => ({
    path: entry.file?.path ?? null,
    label: entry.label,
  }));
  const settings: BatchSettings = {
    feature: options.feature,
    augment: options.augment,
    batchSize: options.batchSize,
    seed: options.seed,
  };
  const startBatch = options.startBatch ?? 0;
  if (options.useWorker === false) return inProcessSource(entries, options, settings, startBatch);
  return workerSource({ entries, noiseFiles: options.index.noiseFiles, settings }, options, startBatch);
}

function inProcessSource(
  entries: TrainingEntry[],
  options: BatchSourceOptions,
  settings: BatchSettings,
  startBatch: number,
): BatchSource {
  const material = loadTrainingMaterial(entries, options.index.noiseFiles, options.feature);
  noiseCheck(options, material.noises.length);
  const producer = new BatchProducer(material, settings);
  let cursor = startBatch;
  return {
    trainingClips: material.clips.length,
    warnings: material.warnings,
    next: () => Promise.resolve(producer.produce(cursor++)),
    close: () => Promise.resolve(),
  };
}

interface Pending {
  resolve: (batch: Batch) => void;
  reject: (error: Error) => void;
}

function workerSource(data: BatchWorkerData, options: BatchSourceOptions, startBatch: number): Promise<BatchSource> {
  const prefetch = Math.max(1, options.prefetch ?? 2);
  const worker = new Worker(workerPath('data/batch-worker.js'), { workerData: data });
  const pending = new Map<number, Promise<Batch>>();
  const waiting = new Map<number, Pending>();
  let failure: Error | null = null;
  let closed = false;
  let requested = startBatch;
  let cursor = startBatch;

  const fail = (error: Error) => {
    failure ??= error;
    for (const handlers of waiting.values()) handlers.reject(failure);
    waiting.clear();
  };
  const shutDown = async (error: Error) => {
    closed = true;
    fail(error);
    await worker.terminate();
  };
  const request = () => {
    const batchIndex = requested++;
    pending.set(
      batchIndex,
      new Promise<Batch>((resolve, reject) => {
        if (failure) reject(failure);
        else waiting.set(batchIndex, { resolve, reject });
      }),
    );
    // Rejections are observed by next(); this keeps a prefetched failure from being "unhandled".
    pending.get(batchIndex)!.catch(() => undefined);
    worker.postMessage({ type: 'produce', batchIndex } satisfies WorkerRequest);
  };

  return new Promise<BatchSource>((resolveSource, rejectSource) => {
    worker.on('message', (message: WorkerReply) => {
      if (message.type === 'ready') {
        try {
          noiseCheck(options, message.noiseFiles);
        } catch (error) {
          rejectSource(asError(error));
          void shutDown(asError(error));
          return;
        }
        for (let i = 0; i < prefetch; i++) request();
        resolveSource({
          trainingClips: message.trainingClips,
          warnings: message.warnings,
          next: () => {
            if (closed) return Promise.reject(new Error('batch source is closed'));
            const batch = pending.get(cursor)!;
            pending.delete(cursor);
            cursor++;
            request();
            return batch;
          },
          close: () => shutDown(new Error('batch source is closed')),
        });
      } else if (message.type === 'batch') {
        waiting.get(message.batchIndex)?.resolve({ x: message.x, y: message.y });
        waiting.delete(message.batchIndex);
      } else {
        const error = message.userError ? new KwsError(message.message) : new Error(`batch worker: ${message.message}`);
        rejectSource(error);
        void shutDown(error);
      }
    });
    worker.on('error', (error) => {
      rejectSource(error);
      void shutDown(error);
    });
    worker.on('exit', (code) => {
      if (closed) return;
      const error = new Error(`batch worker stopped unexpectedly (exit code ${code})`);
      rejectSource(error);
      fail(error);
    });
  });
}
