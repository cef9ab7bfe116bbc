/**
 * ARM's training recipe (train.py) as a library call: Adam on mean softmax cross-entropy with a
 * piecewise-constant learning rate, validation every `evalStepInterval` steps in inference mode,
 * a best checkpoint on strict improvement, a last checkpoint at every evaluation (and on stop),
 * and a final test of the best checkpoint.
 */
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../backend/index.js';
import { KwsError } from '../errors.js';
import { argmaxRows, computeMetrics, type Metrics } from '../metrics.js';
import { validateFeatureConfig } from '../features/config.js';
import { buildModel } from '../models/build/index.js';
import type { Architecture } from '../models/registry.js';
import { rangesTargetOf } from '../run/trainer-state.js';
import { CheckpointStore, type TrainerState } from './checkpoint.js';
import { TrainLog } from '../run/log.js';
import { claimRunDir, quantizeAwareTargetOf, saveRunConfig, type RunConfig } from '../run/config.js';
import { RunDir } from '../run/layout.js';
import { learningRateAt, makeSchedule, type Schedule } from './schedule.js';
import { predictLogits } from '../models/inference.js';
import { GradientReplica, parallelTrainStep } from './replica.js';
import { createOptimizer, setLearningRate, trainStep } from './step.js';
import { QuantizeAwareTraining } from './qat.js';
import { deployedClassifier, type DeployedNetwork } from '../quant/deployed.js';
import { openTrainingData, type TrainingData } from './data.js';

export type TrainEvent =
  | {
      type: 'start';
      backend: BackendInfo;
      totalSteps: number;
      startStep: number;
      parameters: number;
      trainingClips: number;
      validationClips: number;
      testingClips: number;
      warnings: string[];
      /** First step of quantisation-aware training, if the run has it. */
      quantizeAwareFrom?: number;
    }
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      learningRate: number;
      loss: number;
      accuracy: number;
      samplesPerSecond: number;
    }
  | {
      type: 'eval';
      step: number;
      validationAccuracy: number;
      /** Validation ran the integer network (quantisation-aware training has started). */
      quantized: boolean;
      improved: boolean;
      loss: number;
      trainAccuracy: number;
      learningRate: number;
      samplesPerSecond: number;
    }
  | { type: 'stopped'; step: number }
  | {
      type: 'test';
      checkpoint: 'best' | 'last';
      step: number;
      metrics: Metrics;
      /** The integer network's, for a checkpoint of quantisation-aware training. */
      quantizedMetrics?: Metrics;
    };

export interface TrainOptions {
  run: RunConfig;
  trainDir: string;
  /** A checkpoint directory to resume from; by default `<trainDir>/checkpoints/last` when it exists. */
  startCheckpoint?: string;
  /** Start over in a `trainDir` that holds a run (its outputs are removed first); otherwise a run resumes only with identical settings. */
  overwrite?: boolean;
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  cacheDir?: string;
  /** Produce training batches on a worker thread (default true). */
  useWorker?: boolean;
  onEvent?: (event: TrainEvent) => void;
  /** Polled between steps; true stops after saving a checkpoint (Ctrl-C). */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  finalStep: number;
  completed: boolean;
  bestValidationAccuracy: number | null;
  bestStep: number | null;
  test?: Metrics;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { run } = options;
  const dir = new RunDir(options.trainDir);
  const schedule = makeSchedule(run.train.howManyTrainingSteps, run.train.learningRate);
  if (!Number.isInteger(run.train.evalStepInterval) || run.train.evalStepInterval < 1) {
    throw new KwsError(`--eval-step-interval must be a whole number of at least 1 (got ${run.train.evalStepInterval})`);
  }
  const qatFrom = run.train.quantizeAwareFrom;
  if (qatFrom !== undefined && !(Number.isInteger(qatFrom) && qatFrom >= 1 && qatFrom <= schedule.totalSteps))
    throw new KwsError(`--qat-start-step must be a step of the schedule, 1 to ${schedule.totalSteps} (got ${qatFrom})`);
  const workers = run.train.trainWorkers ?? 1;
  if (workers !== 1 && workers !== 2) throw new KwsError(`--train-workers must be 1 or 2 (got ${workers})`);
  if (workers === 2 && run.train.batchSize < 2)
    throw new KwsError('--train-workers 2 splits each batch in two: it needs --batch-size of at least 2');
  claimRunDir(dir, run, options.overwrite ?? false);
  const backend = await initBackend(options.backend ?? 'auto');
  const { frames, coefficients } = validateFeatureConfig(run.feature);
  const labelCount = run.labels.length;
  const spec = {
    architecture: run.architecture as Architecture,
    modelSizeInfo: run.modelSizeInfo,
    frames,
    coefficients,
    labelCount,
  };
  const model = buildModel(spec, run.seed);
  const optimizer = createOptimizer(schedule.learningRates[0]!);
  const store = new CheckpointStore(dir, run);
  try {
    let state: TrainerState = { step: 0, bestValidationAccuracy: null, bestStep: null };
    const resumeFrom = options.startCheckpoint ?? store.latest();
    if (resumeFrom) state = await store.restore(resumeFrom, model, optimizer);
    // A best accuracy inherited from another run's checkpoint (fine-tuning) has no best checkpoint
    // here to stand for: this run's first evaluation writes its own, so quantize and eval find one.
    if (!store.has('best')) state = { ...state, bestValidationAccuracy: null, bestStep: null };
    const qatTarget = quantizeAwareTargetOf(run.train);
    // Ranges another target learned (a checkpoint fine-tuned for the other one) are measured anew.
    const savedRanges = rangesTargetOf(state) === qatTarget ? state.qatRanges : undefined;
    const qat = qatFrom === undefined ? undefined : QuantizeAwareTraining.for(model, run, qatTarget, savedRanges);
    const data = await openTrainingData(run, {
      startBatch: state.step,
      cacheDir: options.cacheDir,
      useWorker: options.useWorker ?? true,
    });
    const replica = workers === 2 ? await GradientReplica.start(spec, backend.name) : undefined;
    try {
      saveRunConfig(dir, run);
      return await runLoop({
        options,
        dir,
        schedule,
        backend,
        data,
        model,
        optimizer,
        replica,
        qat,
        store,
        state,
        inputSize: frames * coefficients,
      });
    } finally {
      await replica?.close();
      await data.close();
    }
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

interface LoopContext {
  options: TrainOptions;
  dir: RunDir;
  schedule: Schedule;
  backend: BackendInfo;
  data: TrainingData;
  model: tf.LayersModel;
  optimizer: tf.AdamOptimizer;
  /** With --train-workers 2: the worker that takes half of every batch. */
  replica: GradientReplica | undefined;
  /** With --quantize-aware: the steps from run.train.quantizeAwareFrom on. */
  qat: QuantizeAwareTraining | undefined;
  store: CheckpointStore;
  state: TrainerState;
  inputSize: number;
}

async function runLoop(context: LoopContext): Promise<TrainResult> {
  const { options, dir, schedule, backend, data, model, optimizer, replica, qat, store, inputSize } = context;
  let state = context.state;
  const { run } = options;
  const emit = options.onEvent ?? (() => undefined);
  const labelCount = run.labels.length;
  const log = new TrainLog(dir);
  log.truncateAfter(state.step);

  emit({
    type: 'start',
    backend,
    totalSteps: schedule.totalSteps,
    startStep: state.step,
    parameters: model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0),
    trainingClips: data.batches.trainingClips,
    warnings: data.warnings,
    quantizeAwareFrom: run.train.quantizeAwareFrom,
    validationClips: data.validation.y.length,
    testingClips: data.testing.y.length,
  });

  const started = Date.now();
  let intervalStart = Date.now();
  let intervalLoss = 0;
  let intervalAccuracy = 0;
  let intervalSteps = 0;
  let stopped = false;
  for (let step = state.step + 1; step <= schedule.totalSteps; step++) {
    const learningRate = learningRateAt(schedule, step);
    setLearningRate(optimizer, learningRate);
    const batch = await data.batches.next();
    const quantizeAware = qat !== undefined && step >= run.train.quantizeAwareFrom!;
    // Quantisation-aware training keeps only its own best: the float phase's would not deploy as well.
    if (quantizeAware && step === run.train.quantizeAwareFrom)
      state = { ...state, bestValidationAccuracy: null, bestStep: null };
    const result = quantizeAware
      ? trainStep(model, optimizer, batch.x, batch.y, labelCount, qat.gradients)
      : replica
        ? await parallelTrainStep(model, optimizer, replica, batch.x, batch.y, labelCount)
        : trainStep(model, optimizer, batch.x, batch.y, labelCount);
    if (!Number.isFinite(result.loss)) {
      throw new KwsError(`training diverged at step ${step} (loss ${result.loss}); try a lower --learning-rate`);
    }
    intervalLoss += result.loss;
    intervalAccuracy += result.accuracy;
    intervalSteps += 1;
    const samplesPerSecond =
      (intervalSteps * run.train.batchSize) / Math.max(1e-3, (Date.now() - intervalStart) / 1000);
    emit({
      type: 'step',
      step,
      totalSteps: schedule.totalSteps,
      learningRate,
      loss: result.loss,
      accuracy: result.accuracy,
      samplesPerSecond,
    });
    state = quantizeAware ? { ...state, step, qatRanges: qat.ranges, qatTarget: qat.target } : { ...state, step };

    stopped = options.shouldStop?.() ?? false;
    if (step % run.train.evalStepInterval === 0 || step === schedule.totalSteps || stopped) {
      const validationAccuracy = quantizeAware
        ? integerAccuracyOf(qat.integerNetwork(), data.validation)
        : accuracyOf(model, data.validation, inputSize, labelCount);
      const improved =
        validationAccuracy !== null &&
        (state.bestValidationAccuracy === null || validationAccuracy > state.bestValidationAccuracy);
      if (improved) {
        state = { ...state, bestValidationAccuracy: validationAccuracy, bestStep: step };
        await store.save('best', model, optimizer, state);
      }
      await store.save('last', model, optimizer, state);
      const row = {
        step,
        learningRate,
        loss: intervalLoss / intervalSteps,
        trainAccuracy: intervalAccuracy / intervalSteps,
        validationAccuracy,
        samplesPerSecond,
        elapsedSeconds: (Date.now() - started) / 1000,
      };
      log.append(row);
      emit({
        type: 'eval',
        step,
        validationAccuracy: validationAccuracy ?? Number.NaN,
        quantized: quantizeAware,
        improved,
        loss: row.loss,
        trainAccuracy: row.trainAccuracy,
        learningRate,
        samplesPerSecond,
      });
      intervalStart = Date.now();
      intervalLoss = 0;
      intervalAccuracy = 0;
      intervalSteps = 0;
    }
    if (stopped) {
      emit({ type: 'stopped', step });
      break;
    }
  }

  const result: TrainResult = {
    finalStep: state.step,
    completed: !stopped,
    bestValidationAccuracy: state.bestValidationAccuracy,
    bestStep: state.bestStep,
  };
  if (!stopped && data.testing.y.length > 0) {
    const which = store.has('best') ? 'best' : 'last';
    const tested = await store.restore(store.path(which), model);
    const metrics = metricsOf(model, data.testing, inputSize, labelCount);
    store.writeTestResults(which, tested.step, metrics);
    const quantizedMetrics = tested.qatRanges
      ? integerMetricsOf(
          QuantizeAwareTraining.for(model, run, rangesTargetOf(tested), tested.qatRanges).integerNetwork(),
          data.testing,
        )
      : undefined;
    emit({ type: 'test', checkpoint: which, step: tested.step, metrics, quantizedMetrics });
    result.test = metrics;
  }
  return result;
}

interface LabelledSet {
  x: Float32Array;
  y: Int32Array;
}

function metricsOf(model: tf.LayersModel, set: LabelledSet, inputSize: number, labelCount: number): Metrics {
  const logits = predictLogits(model, set.x, inputSize, labelCount);
  return computeMetrics(set.y, argmaxRows(logits, labelCount), labelCount);
}

function integerMetricsOf(network: DeployedNetwork, set: LabelledSet): Metrics {
  return computeMetrics(set.y, deployedClassifier(network).predict(set.x), network.labels.length);
}

function integerAccuracyOf(network: DeployedNetwork, set: LabelledSet): number | null {
  return set.y.length === 0 ? null : integerMetricsOf(network, set).accuracy;
}

function accuracyOf(model: tf.LayersModel, set: LabelledSet, inputSize: number, labelCount: number): number | null {
  return set.y.length === 0 ? null : metricsOf(model, set, inputSize, labelCount).accuracy;
}
