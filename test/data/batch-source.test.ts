import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadClip } from '../../src/audio/wav.js';
import { NO_AUGMENTATION } from '../../src/data/augment.js';
import { createBatchSource, type BatchSource } from '../../src/data/batch-source.js';
import { buildIndex, type DatasetIndex } from '../../src/data/dataset-index.js';
import { whichSet } from '../../src/data/split.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dataConfig, makeDataset, speakerNames } from './helpers.js';

const root = tempDir('batches');
const withNoise = path.join(root, 'with-noise');
const withoutNoise = path.join(root, 'without-noise');
const feature = { ...DEFAULT_FEATURE_CONFIG };
const augment = { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 };

/** A speaker name that ARM's rule puts in training, so the unreadable file is one the source loads. */
function trainingName(): string {
  for (let n = 0; ; n++) if (whichSet(`bad${n}_nohash_0.wav`, 10, 10) === 'training') return `bad${n}_nohash_0.wav`;
}

async function take(source: BatchSource, count: number) {
  const batches = [];
  for (let i = 0; i < count; i++) batches.push(await source.next());
  await source.close();
  return batches;
}

let index: DatasetIndex;

beforeAll(() => {
  const words = { yes: speakerNames('a', 8, 1), no: speakerNames('b', 8, 1), other: speakerNames('c', 8, 1) };
  makeDataset(withNoise, { words, noiseSeconds: [2, 1.5] });
  fs.writeFileSync(path.join(withNoise, 'yes', trainingName()), 'not a wav');
  makeDataset(withoutNoise, { words });
  index = buildIndex(dataConfig(withNoise));
});

describe('createBatchSource', () => {
  it('gives the same seeded batch sequence on the worker thread and in process', async () => {
    const options = { index, feature, augment, batchSize: 12, seed: 42 };
    const inProcess = await createBatchSource({ ...options, useWorker: false });
    const onWorker = await createBatchSource({ ...options, useWorker: true, prefetch: 3 });
    expect(onWorker.trainingClips).toBe(inProcess.trainingClips);
    const [a, b] = [await take(inProcess, 4), await take(onWorker, 4)];
    for (let i = 0; i < 4; i++) {
      expect(b[i]!.y).toEqual(a[i]!.y);
      expect(b[i]!.x).toEqual(a[i]!.x);
      expect(a[i]!.x).toHaveLength(12 * 490);
    }
    expect(a[1]!.x).not.toEqual(a[0]!.x);
    // A resumed run continues the same sequence.
    const resumed = await createBatchSource({ ...options, useWorker: true, startBatch: 2 });
    expect((await take(resumed, 1))[0]!.x).toEqual(a[2]!.x);
    const otherSeed = await createBatchSource({ ...options, seed: 43, useWorker: false });
    expect((await take(otherSeed, 1))[0]!.x).not.toEqual(a[0]!.x);
  });

  it('skips unreadable training WAVs with a warning naming them', async () => {
    const source = await createBatchSource({ index, feature, augment, batchSize: 4, seed: 1, useWorker: false });
    const trainingFiles = index.sets.training.filter((entry) => entry.file).length;
    expect(source.trainingClips).toBe(index.sets.training.length - 1);
    expect(trainingFiles).toBeGreaterThan(1);
    expect(source.warnings).toHaveLength(1);
    expect(source.warnings[0]).toMatch(/skipped 1 unreadable training WAV\(s\): .*bad\d+_nohash_0\.wav/);
    await source.close();
  });

  it('without augmentation yields exactly the clean features of training clips, and silence as zeros', async () => {
    const extractor = createFeatureExtractor(feature);
    const clean = new Map<string, number>();
    const key = (values: Float32Array) => Array.from(values.subarray(0, 20), (v) => v.toFixed(4)).join();
    const desiredSamples = 16000;
    for (const entry of index.sets.training) {
      if (!entry.file || entry.file.relativePath.includes('bad')) continue;
      clean.set(key(extractor.compute(loadClip(entry.file.path, { sampleRate: 16000, desiredSamples }))), entry.label);
    }
    clean.set(key(extractor.compute(new Float32Array(desiredSamples))), 0);
    const source = await createBatchSource({
      index,
      feature,
      augment: NO_AUGMENTATION,
      batchSize: 40,
      seed: 5,
      useWorker: false,
    });
    const batch = await source.next();
    for (let i = 0; i < 40; i++) {
      const label = clean.get(key(batch.x.subarray(i * 490, (i + 1) * 490)));
      expect(label).toBe(batch.y[i]);
    }
  });

  it('refuses noise augmentation without _background_noise_, and training without keywords', async () => {
    const noNoise = buildIndex(dataConfig(withoutNoise));
    await expect(createBatchSource({ index: noNoise, feature, augment, batchSize: 4, seed: 1 })).rejects.toThrow(
      /no background noise WAVs in .*_background_noise_.*--background-volume 0/,
    );
    const quiet = await createBatchSource({
      index: noNoise,
      feature,
      augment: { ...augment, backgroundVolume: 0 },
      batchSize: 4,
      seed: 1,
    });
    expect((await take(quiet, 1))[0]!.y).toHaveLength(4);
    const broken = path.join(root, 'broken');
    makeDataset(broken, { words: { yes: speakerNames('a', 8, 1), no: speakerNames('b', 8, 1) }, noiseSeconds: [1.5] });
    for (const word of ['yes', 'no'])
      for (const name of fs.readdirSync(path.join(broken, word)))
        fs.writeFileSync(path.join(broken, word, name), 'RIFF');
    for (const useWorker of [true, false]) {
      await expect(
        createBatchSource({
          index: buildIndex(dataConfig(broken)),
          feature,
          augment,
          batchSize: 4,
          seed: 1,
          useWorker,
        }),
      ).rejects.toThrow(/none of the training clips of the wanted words could be read \(skipped \d+ unreadable/);
    }
    const allTesting = buildIndex(dataConfig(withNoise, { split: 'all' }));
    await expect(createBatchSource({ index: allTesting, feature, augment, batchSize: 4, seed: 1 })).rejects.toThrow(
      /--split all/,
    );
  });
});
