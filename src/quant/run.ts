/**
 * Quantising a training run: load a checkpoint, calibrate on a seeded sample of a split, and
 * write the C folder, quant.json and the integer network that `eval/predict/detect --quantized`
 * run — each recording which checkpoint, settings and calibration it came from.
 * `kws quantize` and `kws demo` are thin layers over this.
 */
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { initBackend } from '../backend/index.js';
import { buildIndex } from '../data/dataset-index.js';
import { loadEvaluationSet } from '../data/evaluation-set.js';
import type { SetName } from '../data/split.js';
import { KwsError, UsageError } from '../errors.js';
import { featureGeometry } from '../features/config.js';
import { loadModelFiles } from '../models/io.js';
import { Random } from '../random.js';
import { labelsFor, type DataSettings, type RunConfig } from '../run/config.js';
import { type CheckpointName, RunDir } from '../run/layout.js';
import { hasTrainerState, rangesTargetOf, readTrainerState } from '../run/trainer-state.js';
import { type QuantizedSource, describeSource, quantizedSource } from '../run/provenance.js';
import type { CalibrationSet, RangeMethod } from './calibrate.js';
import { type DeployedNetwork, emitNetworkC } from './deployed.js';
import type { EmittedFiles } from './emit-c.js';
import { INTEGER_ARCHITECTURES, isIntegerArchitecture } from './ir.js';
import { quantizeModel } from './quantize.js';
import { isRecurrentArchitecture } from './recurrent/ir.js';
import { type QuantizedRecurrentModel, quantizeRecurrentModel } from './recurrent/quantize.js';
import { renderRecurrentQuantJson } from './recurrent/report.js';
import { type QuantizedModel, renderQuantJson } from './report.js';
import type { ActivationRange } from './s8/build.js';
import { quantizeModelS8, renderS8QuantJson, type S8QuantizedModel } from './s8/quantize.js';
import { saveQuantizedNetwork } from './store.js';
import { Q7_TARGET, S8_TARGET, type TargetName } from '../targets.js';

export interface QuantizeRunOptions {
  trainDir: string;
  /** The run's saved settings (what the provenance digest covers). */
  run: RunConfig;
  /** The run's data settings with any overrides applied (where the calibration clips come from). */
  data: DataSettings;
  checkpoint: CheckpointName;
  /** The CMSIS-NN API the C is for (default cmsis-nn-q7, the legacy q7 functions). */
  target?: TargetName;
  calibrationSet: SetName;
  /** Clips drawn (seeded) from the calibration set; 0 = all. */
  calibrationSize: number;
  /**
   * How activation ranges are chosen; `qat` takes the ranges quantisation-aware training saved
   * with the checkpoint. Default: `qat` when the checkpoint has them for this target, else search.
   */
  method?: RangeMethod | 'qat';
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

interface QuantizeOutputs {
  source: QuantizedSource;
  calibrationClips: number;
  outDir: string;
  quantJson: string;
  files: EmittedFiles;
  networkFile: string;
}

export type QuantizeRunResult =
  | ({ kind: 'integer'; quantized: QuantizedModel } & QuantizeOutputs)
  | ({ kind: 's8'; quantized: S8QuantizedModel } & QuantizeOutputs)
  | ({ kind: 'recurrent'; quantized: QuantizedRecurrentModel } & QuantizeOutputs);

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

/** Ranges quantisation-aware training learned, for the target it trained for. */
type LearnedRanges =
  { target: typeof Q7_TARGET; ranges: number[] } | { target: typeof S8_TARGET; ranges: ActivationRange[] };

/** The checkpoint's QAT ranges when `--calibration qat` asks for them, or by default when they are the target's. */
function learnedRangesFor(
  checkpointDir: string,
  options: Pick<QuantizeRunOptions, 'method' | 'actMax'>,
  target: TargetName,
): LearnedRanges | undefined {
  const state = hasTrainerState(checkpointDir) ? readTrainerState(checkpointDir) : undefined;
  const learned = state?.qatRanges && ({ target: rangesTargetOf(state), ranges: state.qatRanges } as LearnedRanges);
  if (options.method !== 'qat')
    return options.method === undefined && !options.actMax && learned?.target === target ? learned : undefined;
  if (!learned)
    throw new UsageError(
      `--calibration qat needs a checkpoint trained with --quantize-aware; ${checkpointDir} has no learned ranges`,
    );
  if (learned.target !== target)
    throw new UsageError(
      `--calibration qat: ${checkpointDir} learned ${learned.target}'s ranges; ` +
        `quantise with --target ${learned.target}, or calibrate by max, percentile or search`,
    );
  if (options.actMax) throw new UsageError('--act-max and --calibration qat both set the ranges: choose one');
  return learned;
}

export async function quantizeTrainedRun(options: QuantizeRunOptions): Promise<QuantizeRunResult> {
  if (!Number.isInteger(options.calibrationSize) || options.calibrationSize < 0) {
    throw new UsageError(`--calibration-size must be a whole number of at least 0 (got ${options.calibrationSize})`);
  }
  const { run } = options;
  if (run.labels.join(',') !== labelsFor(options.data.wantedWords).join(',')) {
    throw new UsageError(
      `--wanted-words ${options.data.wantedWords.join(',')} does not match the model's labels (${run.labels.join(', ')})`,
    );
  }
  if (options.actMax && !isIntegerArchitecture(run.architecture)) {
    throw new UsageError(
      `--act-max applies to ${INTEGER_ARCHITECTURES.join(', ')}; ${run.architecture} has q15 points inside its cells: use --calibration`,
    );
  }
  const target = options.target ?? Q7_TARGET;
  if (target === S8_TARGET) {
    if (!isIntegerArchitecture(run.architecture)) {
      throw new UsageError(
        `--target ${S8_TARGET} supports ${INTEGER_ARCHITECTURES.join(', ')}; not ${run.architecture}`,
      );
    }
    if (options.actMax)
      throw new UsageError(
        `--act-max is the q7 target's power-of-two ranges; --target ${S8_TARGET} calibrates its own`,
      );
  }
  const dir = new RunDir(options.trainDir);
  const learnedRanges = learnedRangesFor(dir.checkpoint(options.checkpoint).dir, options, target);
  const method: RangeMethod = options.method === 'qat' || options.method === undefined ? 'search' : options.method;
  // Only weights are read from tfjs (the float and integer passes are WebAssembly or TypeScript): cpu always starts.
  await initBackend('cpu');
  const checkpoint = dir.checkpoint(options.checkpoint);
  const model = await loadModelFiles(checkpoint.dir, { labels: run.labels.length, from: dir.config });
  try {
    const index = buildIndex({ ...options.data, seed: run.seed });
    const evaluation = await loadEvaluationSet({
      index,
      set: options.calibrationSet,
      feature: run.feature,
      cacheDir: options.cacheDir,
      onProgress: options.onProgress && ((done, total) => options.onProgress!('features', done, total)),
    });
    evaluation.warnings.forEach((warning) => options.onWarning?.(warning));
    if (evaluation.y.length === 0) {
      throw new KwsError(
        `the ${options.calibrationSet} set of ${options.data.dataDir} is empty: nothing to calibrate on (choose another --calibration-set)`,
      );
    }
    const { frames, coefficients } = featureGeometry(run.feature);
    const calibration = sampleRows(evaluation, frames * coefficients, options.calibrationSize, options.seed);
    const source = quantizedSource(dir, run, options.checkpoint, target, {
      method: options.actMax ? 'act-max' : learnedRanges ? 'qat' : method,
      set: options.calibrationSet,
      clips: calibration.y.length,
      ...(method === 'percentile' && !options.actMax && !learnedRanges ? { percentile: options.percentile } : {}),
      ...(options.actMax ? { actMax: [...options.actMax] } : {}),
    });
    const provenance = describeSource(source);
    const outDir = path.resolve(options.outDir ?? dir.cOutput);
    const quantJson = path.join(outDir, 'quant.json');
    const onSearchProgress =
      options.onProgress && ((done: number, total: number) => options.onProgress!('search', done, total));
    const settings = { model, description: run, calibration, method, percentile: options.percentile };
    const finish = (network: DeployedNetwork, quantJsonText: string): QuantizeOutputs => {
      const files = emitNetworkC(network, outDir, provenance);
      writeFileAtomic(quantJson, quantJsonText);
      saveQuantizedNetwork(dir, network, source);
      return {
        files,
        networkFile: dir.quantizedNetwork,
        source,
        calibrationClips: calibration.y.length,
        outDir,
        quantJson,
      };
    };
    if (isRecurrentArchitecture(run.architecture)) {
      const quantized = quantizeRecurrentModel({ ...settings, onSearchProgress });
      return {
        kind: 'recurrent',
        quantized,
        ...finish(quantized.network, renderRecurrentQuantJson(quantized, source)),
      };
    }
    if (target === S8_TARGET) {
      const quantized = quantizeModelS8({
        ...settings,
        learnedRanges: learnedRanges?.target === S8_TARGET ? learnedRanges.ranges : undefined,
        onSearchProgress,
      });
      return { kind: 's8', quantized, ...finish(quantized.network, renderS8QuantJson(quantized, source)) };
    }
    const quantized = quantizeModel({
      ...settings,
      actMax: options.actMax,
      learnedRanges: learnedRanges?.target === Q7_TARGET ? learnedRanges.ranges : undefined,
      onSearchProgress,
    });
    return { kind: 'integer', quantized, ...finish(quantized.network, renderQuantJson(quantized, source)) };
  } finally {
    model.dispose();
  }
}
