/**
 * `kws bench`: throughput of zoo presets on whichever backend runs, in samples (clips) per
 * second. Training is measured twice with the trainer's own step: as compute on one fixed batch
 * (what the backend and kernels give), and through the real batch pipeline (a generated dataset
 * read, augmented and featurised on the worker thread, as `kws train` does), so the two show
 * what data preparation costs. Plus inference and feature extraction.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../backend/index.js';
import { createBatchSource } from '../data/batch-source.js';
import { buildIndex } from '../data/dataset-index.js';
import { generateSyntheticDataset } from '../data/synthetic.js';
import { DEFAULT_FEATURE_CONFIG, featureGeometry, type FeatureConfig } from '../features/config.js';
import { createFeatureExtractor } from '../features/extractor.js';
import { buildModel } from '../models/build/index.js';
import { predictLogits } from '../models/inference.js';
import { loadPreset, presetFeatureConfig, presetSpec } from '../models/presets.js';
import { Random } from '../random.js';
import { createOptimizer, trainStep } from './step.js';

export interface BenchOptions {
  presets: string[];
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  batchSize?: number;
  trainSteps?: number;
  warmupSteps?: number;
  inferBatches?: number;
  featureClips?: number;
  seed?: number;
  onProgress?: (line: string) => void;
}

export interface BenchResult {
  backend: string;
  /** Training compute: the trainer's step on one fixed batch of random features. */
  train_samples_per_s: Record<string, number>;
  /** Training through the batch pipeline: generated clips augmented and featurised on the worker. */
  train_pipeline_samples_per_s: Record<string, number>;
  infer_samples_per_s: Record<string, number>;
  features_clips_per_s: number;
}

/** Generated words: yes, no, up as keywords, two more as unknown words (12 labels like Speech Commands). */
const BENCH_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', 'bed', 'cat'];
const WANTED_WORDS = BENCH_WORDS.slice(0, 10);
const LABELS = WANTED_WORDS.length + 2;

function randomArray(length: number, random: Random, scale: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = scale * random.normal();
  return out;
}

export function benchFeatures(config: FeatureConfig, clips: number, seed: number): number {
  const random = new Random(seed);
  const extractor = createFeatureExtractor(config);
  const geometry = featureGeometry(config);
  const audio = Array.from({ length: 16 }, () => randomArray(geometry.desiredSamples, random, 0.1));
  const out = new Float32Array(extractor.size);
  for (let i = 0; i < 20; i++) extractor.compute(audio[i % audio.length]!, out);
  const started = performance.now();
  for (let i = 0; i < clips; i++) extractor.compute(audio[i % audio.length]!, out);
  return clips / ((performance.now() - started) / 1000);
}

function samplesPerSecond(samples: number, startedMs: number): number {
  return Math.round(samples / ((performance.now() - startedMs) / 1000));
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const backend = await initBackend(options.backend ?? 'auto');
  const batchSize = options.batchSize ?? 100;
  const trainSteps = options.trainSteps ?? 20;
  const warmupSteps = options.warmupSteps ?? 3;
  const inferBatches = options.inferBatches ?? 20;
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const result: BenchResult = {
    backend: backend.name,
    train_samples_per_s: {},
    train_pipeline_samples_per_s: {},
    infer_samples_per_s: {},
    features_clips_per_s: 0,
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-bench-data-'));
  try {
    generateSyntheticDataset({ dir: dataDir, words: BENCH_WORDS, speakers: 10, clipsPerSpeaker: 2, seed });
    const index = buildIndex({
      dataDir,
      wantedWords: WANTED_WORDS,
      split: 'hash',
      splitSalt: '',
      validationPercentage: 10,
      testingPercentage: 10,
      silencePercentage: 10,
      unknownPercentage: 10,
      seed,
    });
    for (const name of options.presets) {
      const preset = loadPreset(name);
      const spec = presetSpec(preset, LABELS);
      const inputSize = spec.frames * spec.coefficients;
      const model = buildModel(spec, seed);
      const optimizer = createOptimizer(1e-4);
      try {
        const x = randomArray(batchSize * inputSize, random, 10);
        const y = Int32Array.from({ length: batchSize }, () => random.int(0, LABELS));
        for (let i = 0; i < warmupSteps; i++) trainStep(model, optimizer, x, y, LABELS);
        let started = performance.now();
        for (let i = 0; i < trainSteps; i++) trainStep(model, optimizer, x, y, LABELS);
        result.train_samples_per_s[name] = samplesPerSecond(trainSteps * batchSize, started);

        const batches = await createBatchSource({
          index,
          feature: presetFeatureConfig(preset),
          augment: { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 },
          batchSize,
          seed,
        });
        try {
          for (let i = 0; i < warmupSteps; i++) {
            const batch = await batches.next();
            trainStep(model, optimizer, batch.x, batch.y, LABELS);
          }
          started = performance.now();
          for (let i = 0; i < trainSteps; i++) {
            const batch = await batches.next();
            trainStep(model, optimizer, batch.x, batch.y, LABELS);
          }
          result.train_pipeline_samples_per_s[name] = samplesPerSecond(trainSteps * batchSize, started);
        } finally {
          await batches.close();
        }

        const inferX = randomArray(inferBatches * batchSize * inputSize, random, 10);
        predictLogits(model, inferX.subarray(0, batchSize * inputSize), inputSize, LABELS, batchSize);
        started = performance.now();
        predictLogits(model, inferX, inputSize, LABELS, batchSize);
        result.infer_samples_per_s[name] = samplesPerSecond(inferBatches * batchSize, started);
      } finally {
        model.dispose();
        optimizer.dispose();
      }
      options.onProgress?.(
        `${name}: train ${result.train_samples_per_s[name]} samples/s (fixed batch), ` +
          `${result.train_pipeline_samples_per_s[name]} through the batch pipeline; ` +
          `inference ${result.infer_samples_per_s[name]} samples/s`,
      );
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  result.features_clips_per_s = Math.round(benchFeatures(DEFAULT_FEATURE_CONFIG, options.featureClips ?? 2000, seed));
  options.onProgress?.(`features: ${result.features_clips_per_s} clips/s (49x10 MFCC, one core)`);
  return result;
}
