/**
 * A tiny trained run for the eval / predict tests: a generated dataset, a small DNN trained for
 * 30 steps on the cpu backend, and its quantised network, all in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSyntheticDataset } from '../../src/data/synthetic.js';
import { loadEvaluationSet } from '../../src/data/evaluation-set.js';
import { checkpointDir } from '../../src/eval/classifier.js';
import { loadModelDir } from '../../src/models/io.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import { saveQuantizedNetwork } from '../../src/quant/store.js';
import { indexForRun } from '../../src/train/data.js';
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

export async function makeTrainedRun(): Promise<TrainedRun> {
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
      { howManyTrainingSteps: [30], learningRate: [0.003], batchSize: 32, evalStepInterval: 10 },
      25,
    ),
    seed: 5,
  };
  await train({ run, trainDir, backend: 'cpu', useWorker: false, cacheDir });

  const { model, sidecar } = await loadModelDir(checkpointDir(trainDir, 'best'));
  const calibration = await loadEvaluationSet({
    index: indexForRun(run),
    set: 'validation',
    feature: run.feature,
    cacheDir,
  });
  const { network } = quantizeModel({ model, sidecar, calibration, method: 'max' });
  saveQuantizedNetwork(trainDir, network);
  model.dispose();
  return { root, dataDir, trainDir, cacheDir, run };
}
