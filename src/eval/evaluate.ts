/**
 * `kws eval` as a library call (ARM's test.py / quant_test.py): one labelled set of a run's data,
 * features from the on-disk cache, scored by the float model, the integer network, or both on
 * the very same rows so the two accuracies compare like for like.
 */
import type { BackendInfo, BackendPreference } from '../backend/index.js';
import { loadEvaluationSet } from '../data/evaluation-set.js';
import type { SetName } from '../data/split.js';
import { KwsError, UsageError } from '../errors.js';
import { validateFeatureConfig } from '../features/config.js';
import { featureDiff, type RunConfig } from '../run/config.js';
import { indexForRun } from '../run/data.js';
import type { CheckpointName } from '../run/layout.js';
import { evaluatePointCosts, openPointCostNetwork, type PointCosts } from './by-point.js';
import { openClassifier, type Classifier } from './classifier.js';
import { computeMetrics, type Metrics } from '../metrics.js';
import { comparePaired, type PairedComparison } from './paired.js';
import type { EvaluationSetChoice } from './sets.js';

export { EVALUATION_SET_CHOICES, type EvaluationSetChoice } from './sets.js';

/** float: the checkpoint run by tfjs; int8: the quantised network run by the CMSIS-NN simulator. */
export type ModelKind = 'float' | 'int8';

export interface EvaluateOptions {
  trainDir: string;
  /** The run's saved settings with any overrides (data folder, split, features) applied. */
  run: RunConfig;
  set: EvaluationSetChoice;
  kinds: readonly ModelKind[];
  /** Default: the checkpoint the quantised network was made from when int8 is evaluated, else best. */
  checkpoint?: CheckpointName;
  backend?: BackendPreference;
  /** With int8: also what each quantisation point and layer costs (q7 networks; see by-point.ts). */
  byPoint?: boolean;
  /** undefined: the default cache folder; null: no cache. */
  cacheDir?: string | null;
  onProgress?: (done: number, total: number) => void;
  onResample?: (file: string, fromRate: number) => void;
}

export interface Evaluation {
  set: EvaluationSetChoice;
  labels: string[];
  n: number;
  float?: Metrics;
  int8?: Metrics;
  /** The true label per clip, and the predicted ones by kind: for comparisons with other runs on the same clips. */
  truth: Int32Array;
  predictions: Partial<Record<ModelKind, Int32Array>>;
  /** With both kinds: the int8 network (first) against the float model (second), clip by clip. */
  int8VersusFloat?: PairedComparison;
  /** With `byPoint`: each quantisation source alone against the float network. */
  byPoint?: PointCosts;
  /** The checkpoint evaluated (both kinds use the same one). */
  checkpoint: CheckpointName;
  /** The backend the float model ran on. */
  backend?: BackendInfo;
  /** Clips featurised in this call (0 when every feature came from the cache). */
  computed: number;
  warnings: string[];
}

/** The data settings and index set a choice reads: `all` is split rule `all`, which fills `testing`. */
export function evaluationSplit(run: RunConfig, choice: EvaluationSetChoice): { run: RunConfig; set: SetName } {
  if (choice === 'all') return { run: { ...run, data: { ...run.data, split: 'all' } }, set: 'testing' };
  if (run.data.split === 'all' && choice !== 'testing') {
    throw new UsageError(
      `--split all puts every clip in the testing set; use --set all (or --set testing) rather than --set ${choice}`,
    );
  }
  return { run, set: choice };
}

/** The data must be labelled and featurised exactly as the model was trained. */
function checkCompatible(classifier: Classifier, run: RunConfig, labels: readonly string[]): void {
  const kind = classifier.quantized ? 'quantised network' : 'model';
  if (classifier.labels.join(',') !== labels.join(',')) {
    throw new UsageError(
      `the ${kind} was trained for labels ${classifier.labels.join(',')} but --wanted-words gives ` +
        `${labels.join(',')}; leave --wanted-words out to use the run's words`,
    );
  }
  const differences = featureDiff(classifier.feature, run.feature);
  if (differences.length > 0) {
    throw new UsageError(
      `the ${kind} was trained on other features (${differences.join(', ')}); ` +
        "leave the feature options out to use the run's settings",
    );
  }
}

export async function evaluateRun(options: EvaluateOptions): Promise<Evaluation> {
  if (options.kinds.length === 0) throw new KwsError('evaluateRun: no model kind to evaluate');
  if (options.byPoint && !options.kinds.includes('int8')) throw new UsageError('--by-point needs --quantized');
  const { run, set } = evaluationSplit(options.run, options.set);
  const index = indexForRun(run);
  // Models first: a missing checkpoint or quantised network fails before any feature work.
  const classifiers: Array<{ kind: ModelKind; classifier: Classifier }> = [];
  try {
    validateFeatureConfig(run.feature);
    // The integer network first: its checkpoint is the one the float model beside it must be.
    let checkpoint = options.checkpoint;
    const kinds = options.kinds.includes('int8')
      ? ['int8' as const, ...options.kinds.filter((k) => k !== 'int8')]
      : options.kinds;
    for (const kind of kinds) {
      const classifier = await openClassifier(options.trainDir, {
        checkpoint,
        quantized: kind === 'int8',
        backend: options.backend,
      });
      checkpoint = classifier.checkpoint;
      classifiers.push({ kind, classifier });
      checkCompatible(classifier, run, index.labels);
    }
    const pointCostNetwork = options.byPoint ? openPointCostNetwork(options.trainDir, run, checkpoint) : undefined;
    const data = await loadEvaluationSet({
      index,
      set,
      feature: run.feature,
      cacheDir: options.cacheDir,
      onProgress: options.onProgress,
      onResample: options.onResample,
    });
    if (data.y.length === 0) {
      throw new KwsError(
        `the ${set} set of ${index.dataDir} is empty${set === 'testing' ? '' : ' (try --set testing, or --set all for a ready-labelled folder)'}`,
      );
    }
    const evaluation: Evaluation = {
      set: options.set,
      checkpoint: checkpoint!,
      labels: index.labels,
      n: data.y.length,
      computed: data.computed,
      warnings: data.warnings,
      truth: data.y,
      predictions: {},
    };
    const { predictions } = evaluation;
    for (const { kind, classifier } of classifiers) {
      predictions[kind] = classifier.predict(data.x);
      evaluation[kind] = computeMetrics(data.y, predictions[kind], index.labels.length);
      if (classifier.backend) evaluation.backend = classifier.backend;
    }
    if (predictions.int8 && predictions.float)
      evaluation.int8VersusFloat = comparePaired(data.y, predictions.int8, predictions.float);
    if (pointCostNetwork)
      evaluation.byPoint = await evaluatePointCosts(options.trainDir, run, pointCostNetwork, data.x, data.y);
    return evaluation;
  } finally {
    for (const { classifier } of classifiers) classifier.dispose();
  }
}
