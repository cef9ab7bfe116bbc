import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { validateFeatureConfig } from '../../features/config.js';
import { Q7_TARGET, S8_TARGET, TARGET_NAMES, type TargetName } from '../../targets.js';
import { makeSchedule } from '../../train/schedule.js';
import { autoTrainWorkers } from '../../train/train-workers.js';
import { labelsFor, loadRunConfig, type DataSettings, type RunConfig } from '../../run/config.js';
import { RunDir } from '../../run/layout.js';
import { downloadWithProgress } from './data.js';
import {
  AUGMENTATION_OPTIONS,
  BACKEND_OPTIONS,
  DATA_OPTIONS,
  FEATURE_OPTIONS,
  MODEL_OPTIONS,
  SEED_OPTION,
  TARGET_FALSE_ALARMS_OPTION,
  addOptions,
  featureConfigFrom,
  layeredOptions,
  parseNumberList,
  parsePositiveInteger,
} from '../options.js';
import { tuneOperatingPointWithProgress } from '../detections.js';
import { trainingReporter } from '../train-progress.js';
import {
  dataSettingsFrom,
  resolveModelChoice,
  runConfigOptionLayer,
  type CommonOptions,
  type ModelChoice,
} from '../resolve.js';

interface TrainCliOptions extends CommonOptions {
  dataUrl?: string;
  howManyTrainingSteps: number[];
  learningRate: number[];
  batchSize: number;
  evalStepInterval: number;
  trainWorkers: number | 'auto';
  quantizeAware?: boolean;
  qatStartStep?: number;
  /** --target, or a resumed run's saved QAT target (the option layer of its config). */
  target?: TargetName;
  /** A resumed run's saved setting (the option layer of its config). */
  quantizeAwareFrom?: number;
  targetFalseAlarmsPerHour: number;
  trainDir?: string;
  overwrite?: boolean;
  startCheckpoint?: string;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
}

function parseTrainWorkers(value: string): number | 'auto' {
  if (value === 'auto') return value;
  const n = parsePositiveInteger(value);
  if (n > 2) throw new InvalidArgumentError('expected 1 or 2.');
  return n;
}

export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description(
      "train a zoo model on Speech Commands style data with ARM's recipe (Adam, piecewise-constant learning rate)",
    );
  addOptions(command, DATA_OPTIONS);
  addOptions(command, [
    {
      flags: '--data-url <url>',
      description: 'archive to download into --data-dir when that folder does not exist (empty: never download)',
      defaultValue: '',
    },
  ]);
  addOptions(command, MODEL_OPTIONS);
  addOptions(command, FEATURE_OPTIONS);
  addOptions(command, AUGMENTATION_OPTIONS);
  addOptions(command, [
    {
      flags: '--how-many-training-steps <list>',
      description: 'steps per learning-rate stage, comma-separated',
      defaultValue: [10000, 10000, 10000],
      parse: parseNumberList,
    },
    {
      flags: '--learning-rate <list>',
      description: 'learning rate of each stage, comma-separated',
      defaultValue: [0.0005, 0.0001, 0.00002],
      parse: parseNumberList,
    },
    {
      flags: '--batch-size <n>',
      description: 'clips per training step',
      defaultValue: 100,
      parse: parsePositiveInteger,
    },
    {
      flags: '--eval-step-interval <n>',
      description: 'validate (and checkpoint) every n steps',
      defaultValue: 400,
      parse: parsePositiveInteger,
    },
    {
      flags: '--train-workers <n>',
      description:
        'threads computing gradients: 1, 2 to split each batch across both cores (batch norm then normalises each half), ' +
        'or auto: 2 for DS-CNN and CNN when a second core is idle, else 1 (a resumed run keeps its setting)',
      defaultValue: 'auto',
      parse: parseTrainWorkers,
    },
    {
      flags: '--quantize-aware',
      description:
        'quantisation-aware training (dnn, cnn, ds_cnn; for --target): from --qat-start-step on, batch norm is folded and frozen, ' +
        'weights and activations are fake-quantised as the integer network computes them, and kws quantize uses the learned ranges',
    },
    {
      flags: '--qat-start-step <n>',
      description:
        'first step of quantisation-aware training (default: the first step of the last learning-rate phase; ' +
        'of a one-phase schedule, its last fifth)',
      parse: parsePositiveInteger,
    },
    {
      flags: '--target <api>',
      description:
        'with --quantize-aware: the CMSIS-NN API whose integer network it trains, as kws quantize --target names it ' +
        "(default cmsis-nn-q7, the legacy power-of-two functions; cmsis-nn-s8, TFLite's per-channel int8 scheme)",
      choices: TARGET_NAMES,
    },
    {
      flags: '--train-dir <dir>',
      description:
        'where config, checkpoints, logs and results go (default: runs/<preset or architecture>); ' +
        'the same folder and settings resume',
    },
    {
      flags: '--overwrite',
      description: '--train-dir holds a run with other settings: remove its outputs and start this one over',
    },
    {
      flags: '--start-checkpoint <dir>',
      description: 'resume from this checkpoint folder (default: <train-dir>/checkpoints/last when it exists)',
    },
  ]);
  addOptions(command, [TARGET_FALSE_ALARMS_OPTION]);
  addOptions(command, BACKEND_OPTIONS);
  addOptions(command, [SEED_OPTION]);
  command.action(async () => {
    const typed = command.opts<TrainCliOptions>();
    const dir = new RunDir(typed.trainDir ?? defaultTrainDir(resolveModelChoice(command)));
    // A resumed run keeps its settings unless a flag typed now changes one (then train refuses it);
    // with --overwrite the old run does not count.
    const saved = dir.exists() && !typed.overwrite ? loadRunConfig(dir) : undefined;
    const run = await resolveRunConfig(command, saved);
    await runTraining(run, dir.root, layeredOptions<TrainCliOptions>(command));
  });
}

/** runs/ds_cnn_s for a preset, runs/<architecture> otherwise: two presets never share a folder by default. */
function defaultTrainDir(choice: ModelChoice): string {
  return path.join('runs', choice.preset ?? choice.architecture);
}

/**
 * Defaults < the run's saved config (when resuming) < flags typed now, where a preset typed now
 * counts as typed (its feature settings over the saved ones) and the saved preset as saved.
 */
async function resolveRunConfig(command: Command, saved: RunConfig | undefined): Promise<RunConfig> {
  const savedLayer = saved ? runConfigOptionLayer(saved) : undefined;
  const choice = resolveModelChoice(command, savedLayer);
  const presetTyped = command.getOptionValueSource('preset') === 'cli';
  const layers = presetTyped ? [savedLayer, choice.presetOptions] : [choice.presetOptions, savedLayer];
  const options = layeredOptions<TrainCliOptions>(command, ...layers);
  const feature = featureConfigFrom(options);
  validateFeatureConfig(feature);
  // Checked before any download or data work; the trainer builds the same schedule.
  makeSchedule(options.howManyTrainingSteps, options.learningRate);
  const data = await dataSettings(options);
  const qatFrom = quantizeAwareFrom(options);
  return {
    version: 1,
    architecture: choice.architecture,
    modelSizeInfo: choice.modelSizeInfo,
    preset: choice.preset,
    feature,
    data,
    augment: {
      timeShiftMs: options.timeShiftMs,
      backgroundFrequency: options.backgroundFrequency,
      backgroundVolume: options.backgroundVolume,
    },
    train: {
      howManyTrainingSteps: options.howManyTrainingSteps,
      learningRate: options.learningRate,
      batchSize: options.batchSize,
      evalStepInterval: options.evalStepInterval,
      trainWorkers: trainWorkersFor(options, choice.architecture, saved),
      ...(qatFrom === undefined ? {} : { quantizeAwareFrom: qatFrom }),
      // Saved only for s8, so that q7 runs saved before the setting existed stay the same run.
      ...(quantizeAwareTarget(options, qatFrom) === S8_TARGET ? { quantizeAwareTarget: S8_TARGET } : {}),
    },
    seed: options.seed,
    labels: labelsFor(data.wantedWords),
  };
}

/** The first QAT step: --qat-start-step, its default, or a resumed run's. */
function quantizeAwareFrom(options: TrainCliOptions): number | undefined {
  if (options.qatStartStep !== undefined && !options.quantizeAware)
    throw new UsageError('--qat-start-step applies with --quantize-aware');
  if (!options.quantizeAware) return options.quantizeAwareFrom;
  if (options.qatStartStep !== undefined) return options.qatStartStep;
  const phases = options.howManyTrainingSteps;
  const total = phases.reduce((a, b) => a + b, 0);
  return phases.length > 1 ? total - phases.at(-1)! + 1 : Math.floor(total * 0.8) + 1;
}

/** The target quantisation-aware training trains for: --target, or a resumed run's. */
function quantizeAwareTarget(options: TrainCliOptions, qatFrom: number | undefined): TargetName | undefined {
  if (options.target !== undefined && qatFrom === undefined)
    throw new UsageError('--target applies with --quantize-aware (kws quantize --target chooses the C of any run)');
  return qatFrom === undefined ? undefined : (options.target ?? Q7_TARGET);
}

/** --train-workers as a number: auto keeps a resumed run's setting, else picks (and says so). */
function trainWorkersFor(options: TrainCliOptions, architecture: string, saved: RunConfig | undefined): number {
  if (options.trainWorkers !== 'auto') return options.trainWorkers;
  if (saved) return saved.train.trainWorkers ?? 1;
  const { workers, reason } = autoTrainWorkers(architecture, options.batchSize);
  process.stderr.write(`kws train: --train-workers auto: ${workers} (${reason})\n`);
  return workers;
}

/** ARM's behaviour: a missing --data-dir is downloaded from --data-url when one is given. */
async function dataSettings(options: TrainCliOptions): Promise<DataSettings> {
  if (!options.dataDir)
    throw new UsageError(
      '--data-dir is required: a Speech Commands style folder (kws data download fetches the real one)',
    );
  const dataDir = path.resolve(options.dataDir);
  if (!fs.existsSync(dataDir) && options.dataUrl) await downloadWithProgress(options.dataUrl, dataDir);
  return dataSettingsFrom({ ...options, dataDir });
}

async function runTraining(run: RunConfig, trainDir: string, options: TrainCliOptions): Promise<void> {
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    process.stderr.write('\nkws: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const reporter = trainingReporter(run, { printTest: true });
  // Loaded here so that `kws --help` and light commands do not pay for TensorFlow.js.
  const { train } = await import('../../train/trainer.js');
  try {
    const result = await train({
      run,
      trainDir,
      startCheckpoint: options.startCheckpoint ? path.resolve(options.startCheckpoint) : undefined,
      overwrite: options.overwrite,
      backend: options.backend,
      cacheDir: options.cacheDir,
      onEvent: (event) => reporter.onEvent(event),
      shouldStop: () => stopRequested,
    });
    if (result.completed) {
      reporter.finish();
      const best =
        result.bestValidationAccuracy === null
          ? 'n/a'
          : `${(result.bestValidationAccuracy * 100).toFixed(2)}% at step ${result.bestStep}`;
      if (options.targetFalseAlarmsPerHour > 0) {
        await tuneOperatingPointWithProgress(trainDir, 'float', options.targetFalseAlarmsPerHour);
      }
      process.stdout.write(`best validation accuracy: ${best}\noutputs in ${trainDir}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
