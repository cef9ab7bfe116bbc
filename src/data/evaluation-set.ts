/**
 * Validation / testing (any set) as one feature matrix, without augmentation: silence made from
 * noise is digital zeros, as in ARM's evaluation. Features are computed once and cached on disk;
 * a second pass reads them back and does no feature work.
 */
import fs from 'node:fs';
import { loadClip } from '../audio/wav.js';
import { KwsError, errorMessage } from '../errors.js';
import { featureCodeVersion } from '../features/code-version.js';
import { featureGeometry, validateFeatureConfig, type FeatureConfig } from '../features/config.js';
import { createFeatureExtractor, type FeatureExtractor } from '../features/extractor.js';
import { skippedWarning } from './warnings.js';
import type { DatasetIndex } from './dataset-index.js';
import {
  defaultCacheDir,
  featureCachePath,
  readFeatureCache,
  writeFeatureCache,
  type CachedFeatures,
} from './feature-cache.js';
import type { SetName } from './split.js';

export interface EvaluationSetOptions {
  index: DatasetIndex;
  set: SetName;
  feature: FeatureConfig;
  /** Where features are cached; undefined uses `defaultCacheDir()`, null turns the cache off. */
  cacheDir?: string | null;
  onProgress?: (done: number, total: number) => void;
  /** Called when a clip's rate differs from the model's and it is resampled. */
  onResample?: (file: string, fromRate: number) => void;
}

export interface EvaluationSet {
  /** `[n, frames·coefficients]`, frame-major per clip. */
  x: Float32Array;
  y: Int32Array;
  /** Relative path of each row's clip; null for silence made from noise. */
  files: Array<string | null>;
  frames: number;
  coefficients: number;
  /** Clips featurised in this call (0 when everything came from the cache). */
  computed: number;
  warnings: string[];
}

function statClip(file: string): { bytes: number; mtimeMs: number } | null {
  try {
    const stat = fs.statSync(file);
    return { bytes: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}

export async function loadEvaluationSet(options: EvaluationSetOptions): Promise<EvaluationSet> {
  const { index, set, feature } = options;
  validateFeatureConfig(feature);
  const { desiredSamples } = featureGeometry(feature);
  const extractor: FeatureExtractor = createFeatureExtractor(feature);
  const size = extractor.size;
  const entries = index.sets[set];
  const warnings: string[] = [];

  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const identity = { data: { ...index.config, dataDir: index.dataDir }, set, feature };
  const cacheFile = cacheDir === null ? null : featureCachePath(cacheDir, set, identity);
  const stamp = { feature, size, codeVersion: featureCodeVersion() };
  let cached = new Map<string, CachedFeatures>();
  if (cacheFile) {
    const read = readFeatureCache(cacheFile, stamp);
    if (read.status === 'ok') cached = read.records;
    else if (read.status === 'damaged') warnings.push(`feature cache ${cacheFile} was ${read.reason}; rebuilding it`);
  }

  const x = new Float32Array(entries.length * size);
  const y = new Int32Array(entries.length);
  const files: Array<string | null> = [];
  const keep: CachedFeatures[] = [];
  const failures: string[] = [];
  let silence: Float32Array | null = null;
  let computed = 0;
  let rows = 0;
  entries.forEach((entry, i) => {
    const row = x.subarray(rows * size, (rows + 1) * size);
    if (entry.file === null) {
      silence ??= extractor.compute(new Float32Array(desiredSamples));
      row.set(silence);
    } else {
      const clip = entry.file.path;
      const stamp = statClip(clip);
      const hit = cached.get(clip);
      if (stamp && hit && hit.bytes === stamp.bytes && hit.mtimeMs === stamp.mtimeMs) {
        row.set(hit.features);
      } else {
        try {
          extractor.compute(
            loadClip(clip, { sampleRate: feature.sampleRate, desiredSamples, onResample: options.onResample }),
            row,
          );
          computed++;
        } catch (error) {
          if (!(error instanceof KwsError)) throw error;
          failures.push(errorMessage(error));
          options.onProgress?.(i + 1, entries.length);
          return;
        }
      }
      if (stamp) keep.push({ path: clip, ...stamp, features: row });
    }
    y[rows] = entry.label;
    files.push(entry.file?.relativePath ?? null);
    rows++;
    options.onProgress?.(i + 1, entries.length);
  });
  warnings.push(...skippedWarning(`${set} WAV(s)`, failures));

  const stale = computed > 0 || keep.length !== cached.size;
  if (cacheFile && stale) {
    try {
      writeFeatureCache(cacheFile, stamp, keep);
    } catch (error) {
      warnings.push(`could not write the feature cache ${cacheFile} (${errorMessage(error)}); continuing without it`);
    }
  }
  return {
    x: rows === entries.length ? x : x.slice(0, rows * size),
    y: rows === entries.length ? y : y.slice(0, rows),
    files,
    frames: extractor.frames,
    coefficients: extractor.coefficients,
    computed,
    warnings,
  };
}
