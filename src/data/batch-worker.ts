/**
 * Worker-thread entry: decodes the training clips, then answers `produce` requests with batches
 * whose buffers are transferred (not copied). Requests are served in order, so the batches the
 * main thread asked for ahead are ready while it trains.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KwsError, errorMessage } from '../errors.js';
import { BatchProducer, loadTrainingMaterial, type BatchSettings, type TrainingEntry } from './batch-producer.js';

export interface BatchWorkerData {
  entries: TrainingEntry[];
  noiseFiles: string[];
  settings: BatchSettings;
}

export type WorkerRequest = { type: 'produce'; batchIndex: number };

export type WorkerReply =
  | { type: 'ready'; trainingClips: number; noiseFiles: number; warnings: string[] }
  | { type: 'batch'; batchIndex: number; x: Float32Array; y: Int32Array }
  | { type: 'error'; message: string; userError: boolean };

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function replyError(error: unknown): void {
  reply({ type: 'error', message: errorMessage(error), userError: error instanceof KwsError });
}

const { entries, noiseFiles, settings } = workerData as BatchWorkerData;
try {
  const material = loadTrainingMaterial(entries, noiseFiles, settings.feature);
  const producer = new BatchProducer(material, settings);
  parentPort!.on('message', (request: WorkerRequest) => {
    try {
      const batch = producer.produce(request.batchIndex);
      reply({ type: 'batch', batchIndex: request.batchIndex, x: batch.x, y: batch.y }, [
        batch.x.buffer as ArrayBuffer,
        batch.y.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      replyError(error);
    }
  });
  reply({
    type: 'ready',
    trainingClips: material.clips.length,
    noiseFiles: material.noises.length,
    warnings: material.warnings,
  });
} catch (error) {
  replyError(error);
}
