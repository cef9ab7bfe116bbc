/** The run configuration the training, eval and detect tests train on a generated dataset. */
import { generateSyntheticDataset } from '../../src/data/synthetic.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { labelsFor, type RunConfig } from '../../src/run/config.js';

/**
 * A small dnn that tells `yes`, `no` and `up` apart (other generated words are unknown), on the
 * generated dataset in `dataDir`, holding out `heldOutPercentage` each for validation and testing.
 */
export function generatedRunConfig(dataDir: string, train: RunConfig['train'], heldOutPercentage = 20): RunConfig {
  const wantedWords = ['yes', 'no', 'up'];
  return {
    version: 1,
    architecture: 'dnn',
    modelSizeInfo: [32, 32],
    feature: { ...DEFAULT_FEATURE_CONFIG, windowStrideMs: 40 },
    data: {
      dataDir,
      wantedWords,
      split: 'hash',
      splitSalt: '',
      validationPercentage: heldOutPercentage,
      testingPercentage: heldOutPercentage,
      silencePercentage: 10,
      unknownPercentage: 10,
    },
    augment: { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 },
    train,
    seed: 11,
    labels: labelsFor(wantedWords),
  };
}

/** The generated dataset those tests train on: `yes`, `no`, `up` and the unknown `cat`, 16 speakers. */
export function generateTrainingDataset(dir: string): void {
  generateSyntheticDataset({
    dir,
    words: ['yes', 'no', 'up', 'cat'],
    speakers: 16,
    clipsPerSpeaker: 2,
    seed: 7,
    noiseSeconds: 3,
  });
}
