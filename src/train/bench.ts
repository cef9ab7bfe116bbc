/**
 * `kws bench`: training and inference throughput of zoo presets on generated data, and feature
 * extraction throughput, on whichever backend runs. Figures are samples (clips) per second.
 */
import { initBackend } from '../backend/index.js';
import { DEFAULT_FEATURE_CONFIG, featureGeometry, type FeatureConfig } from '../features/config.js';
import { createFeatureExtractor } from '../features/extractor.js';
import { buildModel } from '../models/build/index.js';
import { loadPreset, presetSpec } from '../models/presets.js';
import { Random } from '../random.js';
import { predictLogits } from '../models/inference.js';
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
  train_samples_per_s: Record<string, number>;
  infer_samples_per_s: Record<string, number>;
  features_clips_per_s: number;
}

const LABELS = 12;

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

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const backend = await initBackend(options.backend ?? 'auto');
  const batchSize = options.batchSize ?? 100;
  const trainSteps = options.trainSteps ?? 20;
  const warmupSteps = options.warmupSteps ?? 3;
  const inferBatches = options.inferBatches ?? 20;
  const random = new Random(options.seed ?? 1);
  const result: BenchResult = {
    backend: backend.name,
    train_samples_per_s: {},
    infer_samples_per_s: {},
    features_clips_per_s: 0,
  };
  for (const name of options.presets) {
    const spec = presetSpec(loadPreset(name), LABELS);
    const inputSize = spec.frames * spec.coefficients;
    const model = buildModel(spec, options.seed ?? 1);
    const optimizer = createOptimizer(1e-4);
    const x = randomArray(batchSize * inputSize, random, 10);
    const y = Int32Array.from({ length: batchSize }, () => random.int(0, LABELS));
    for (let i = 0; i < warmupSteps; i++) trainStep(model, optimizer, x, y, LABELS);
    let started = performance.now();
    for (let i = 0; i < trainSteps; i++) trainStep(model, optimizer, x, y, LABELS);
    result.train_samples_per_s[name] = Math.round((trainSteps * batchSize) / ((performance.now() - started) / 1000));
    const inferX = randomArray(inferBatches * batchSize * inputSize, random, 10);
    predictLogits(model, inferX.subarray(0, batchSize * inputSize), inputSize, LABELS, batchSize);
    started = performance.now();
    predictLogits(model, inferX, inputSize, LABELS, batchSize);
    result.infer_samples_per_s[name] = Math.round((inferBatches * batchSize) / ((performance.now() - started) / 1000));
    options.onProgress?.(
      `${name}: train ${result.train_samples_per_s[name]} samples/s, inference ${result.infer_samples_per_s[name]} samples/s`,
    );
    model.dispose();
    optimizer.dispose();
  }
  result.features_clips_per_s = Math.round(
    benchFeatures(DEFAULT_FEATURE_CONFIG, options.featureClips ?? 2000, options.seed ?? 1),
  );
  options.onProgress?.(`features: ${result.features_clips_per_s} clips/s (49x10 MFCC, one core)`);
  return result;
}
