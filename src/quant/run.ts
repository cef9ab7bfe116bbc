/**
 * Quantising a training run: load a checkpoint, calibrate on a seeded sample of a split, and
 * write the C folder plus the integer network that `eval/predict/detect --quantized` run.
 * `kws quantize` and `kws demo` are thin layers over this.
 */
import path from 'node:path';
import { initBackend } from '../backend/index.js';
import { buildIndex } from '../data/dataset-index.js';
import { loadEvaluationSet } from '../data/evaluation-set.js';
import type { SetName } from '../data/split.js';
import { KwsError, UsageError } from '../errors.js';
import { checkpointDir, type CheckpointChoice } from '../eval/classifier.js';
import { featureGeometry } from '../features/config.js';
import { loadModelDir } from '../models/io.js';
import { Random } from '../random.js';
import { labelsFor, type DataSettings, type RunConfig } from '../run/config.js';
import type { CalibrationSet, RangeMethod } from './calibrate.js';
import { emitC, type EmittedFiles } from './emit-c.js';
import { INTEGER_ARCHITECTURES, isIntegerArchitecture } from './fold.js';
import { quantizeModel } from './quantize.js';
import type { QuantizedModel } from './report.js';
import { quantizedNetworkPath, saveQuantizedNetwork } from './store.js';
import { emitWeightsOnly, quantizeWeightsOnly, type WeightsOnlyModel } from './weights-only.js';

export interface QuantizeRunOptions {
  trainDir: string;
  run: RunConfig;
  /** The run's data settings with any overrides applied. */
  data: DataSettings;
  checkpoint: CheckpointChoice;
  calibrationSet: SetName;
  /** Clips drawn (seeded) from the calibration set; 0 = all. */
  calibrationSize: number;
  method: RangeMethod;
  percentile?: number;
  actMax?: readonly number[];
  outDir?: string;
  cacheDir?: string;
  seed: number;
  /** Calibration features loaded, then (`search`) candidate ranges evaluated: done of total per stage. */
  onProgress?: (stage: QuantizeStage, done: number, total: number) => void;
  onWarning?: (warning: string) => void;
}

export type QuantizeStage = 'features' | 'search';

export type QuantizeRunResult =
  | {
      kind: 'integer';
      quantized: QuantizedModel;
      files: EmittedFiles;
      networkFile: string;
      calibrationClips: number;
      outDir: string;
    }
  | {
      kind: 'weights-only';
      result: WeightsOnlyModel;
      files: { weightsHeader: string; quantJson: string };
      calibrationClips: number;
      outDir: string;
    };

/** A seeded sample of `size` rows (all when 0 or larger than the set), kept in set order. */
export function sampleRows(set: CalibrationSet, inputSize: number, size: number, seed: number): CalibrationSet {
  const rows = set.y.length;
  if (size === 0 || size >= rows) return set;
  const chosen = new Random(seed)
    .shuffle(Array.from({ length: rows }, (_, i) => i))
    .slice(0, size)
    .sort((a, b) => a - b);
  const x = new Float32Array(size * inputSize);
  chosen.forEach((row, i) => x.set(set.x.subarray(row * inputSize, (row + 1) * inputSize), i * inputSize));
  return { x, y: Int32Array.from(chosen, (row) => set.y[row]!) };
}

export async function quantizeTrainedRun(options: QuantizeRunOptions): Promise<QuantizeRunResult> {
  if (!Number.isInteger(options.calibrationSize) || options.calibrationSize < 0) {
    throw new UsageError(`--calibration-size must be a whole number of at least 0 (got ${options.calibrationSize})`);
  }
  // Only weights are read from tfjs (the float and integer passes are plain TypeScript): cpu always starts.
  await initBackend('cpu');
  const { model, sidecar } = await loadModelDir(checkpointDir(options.trainDir, options.checkpoint));
  try {
    if (sidecar.labels.join(',') !== labelsFor(options.data.wantedWords).join(',')) {
      throw new UsageError(
        `--wanted-words ${options.data.wantedWords.join(',')} does not match the model's labels (${sidecar.labels.join(', ')})`,
      );
    }
    const index = buildIndex({ ...options.data, seed: options.run.seed });
    const evaluation = await loadEvaluationSet({
      index,
      set: options.calibrationSet,
      feature: sidecar.feature,
      cacheDir: options.cacheDir,
      onProgress: options.onProgress && ((done, total) => options.onProgress!('features', done, total)),
    });
    evaluation.warnings.forEach((warning) => options.onWarning?.(warning));
    if (evaluation.y.length === 0) {
      throw new KwsError(
        `the ${options.calibrationSet} set of ${options.data.dataDir} is empty: nothing to calibrate on (choose another --calibration-set)`,
      );
    }
    const { frames, coefficients } = featureGeometry(sidecar.feature);
    const calibration = sampleRows(evaluation, frames * coefficients, options.calibrationSize, options.seed);
    const outDir = path.resolve(options.outDir ?? path.join(options.trainDir, 'cmsis'));
    if (!isIntegerArchitecture(sidecar.architecture)) {
      if (options.actMax)
        throw new UsageError(
          `--act-max applies to ${INTEGER_ARCHITECTURES.join(', ')}; ${sidecar.architecture} is quantised weights-only`,
        );
      const result = quantizeWeightsOnly(model, sidecar, calibration);
      return {
        kind: 'weights-only',
        result,
        files: emitWeightsOnly(result, outDir),
        calibrationClips: calibration.y.length,
        outDir,
      };
    }
    const quantized = quantizeModel({
      model,
      sidecar,
      calibration,
      method: options.method,
      percentile: options.percentile,
      actMax: options.actMax,
      onSearchProgress: options.onProgress && ((done, total) => options.onProgress!('search', done, total)),
    });
    const files = emitC(quantized, outDir);
    saveQuantizedNetwork(options.trainDir, quantized.network);
    return {
      kind: 'integer',
      quantized,
      files,
      networkFile: quantizedNetworkPath(options.trainDir),
      calibrationClips: calibration.y.length,
      outDir,
    };
  } finally {
    model.dispose();
  }
}
