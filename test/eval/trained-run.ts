/**
 * A tiny trained run for the eval / predict tests: a generated dataset, a small DNN trained for
 * 30 steps on the cpu backend (or the given model, steps and backend), and its quantised network,
 * all in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSyntheticDataset } from '../../src/data/synthetic.js';
import { quantizeTrainedRun } from '../../src/quant/run.js';
import type { RunConfig } from '../../src/run/config.js';
import { train } from '../../src/train/trainer.js';
import { generatedRunConfig } from '../helpers/generated-run.js';

export interface TrainedRun {
  root: string;
  dataDir: string;
  trainDir: string;
  cacheDir: string;
  run: RunConfig;
}

export interface TrainedRunOptions {
  model?: Pick<RunConfig, 'architecture' | 'modelSizeInfo' | 'feature'>;
  steps?: number;
  /** wasm trains the recurrent models several times faster than cpu. */
  backend?: 'cpu' | 'wasm';
}

export async function makeTrainedRun({
  model,
  steps = 30,
  backend = 'cpu',
}: TrainedRunOptions = {}): Promise<TrainedRun> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-eval-'));
  const dataDir = path.join(root, 'data');
  const trainDir = path.join(root, 'run');
  const cacheDir = path.join(root, 'cache');
  generateSyntheticDataset({
    dir: dataDir,
    words: ['yes', 'no', 'up', 'cat'],
    speakers: 12,
    clipsPerSpeaker: 2,
    seed: 3,
    noiseSeconds: 2,
  });
  const run: RunConfig = {
    ...generatedRunConfig(
      dataDir,
      { howManyTrainingSteps: [steps], learningRate: [0.003], batchSize: 32, evalStepInterval: 10 },
      25,
    ),
    ...model,
    seed: 5,
  };
  await train({ run, trainDir, backend, useWorker: false, cacheDir });

  await quantizeTrainedRun({
    trainDir,
    run,
    data: run.data,
    checkpoint: 'best',
    calibrationSet: 'validation',
    calibrationSize: 0,
    method: 'max',
    cacheDir,
    seed: 1,
  });
  return { root, dataDir, trainDir, cacheDir, run };
}
