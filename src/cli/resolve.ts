/** Turns the model flags (`--preset` or `--model-architecture` + `--model-size-info`) into one choice. */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadRunConfig } from '../run/config.js';
import { RunDir } from '../run/layout.js';
import type { FeatureConfig } from '../features/config.js';
import { loadPreset } from '../models/presets.js';
import type { DataSettings, AugmentSettings, RunConfig, TrainSettings } from '../run/config.js';
import type { TargetName } from '../targets.js';

export interface CommonOptions extends FeatureConfig, DataSettings, AugmentSettings {
  preset?: string;
  modelArchitecture?: string;
  modelSizeInfo?: number[];
  cacheDir?: string;
  seed: number;
}

export interface ModelChoice {
  architecture: string;
  modelSizeInfo: number[];
  preset?: string;
  /** The feature settings the preset implies, as an option layer under what the user typed. */
  presetOptions?: Partial<FeatureConfig>;
}

export function resolveModelChoice(command: Command, saved?: Partial<CommonOptions>): ModelChoice {
  const opts = command.opts<CommonOptions>();
  const typed = (key: string) => command.getOptionValueSource(key) === 'cli';
  const presetName = typed('preset') ? opts.preset : (saved?.preset ?? undefined);
  if (presetName && !(typed('modelArchitecture') || typed('modelSizeInfo'))) {
    const preset = loadPreset(presetName);
    return {
      architecture: preset.architecture,
      modelSizeInfo: preset.modelSizeInfo,
      preset: preset.name,
      presetOptions: {
        windowSizeMs: preset.windowSizeMs,
        windowStrideMs: preset.windowStrideMs,
        dctCoefficientCount: preset.dctCoefficientCount,
      },
    };
  }
  if (presetName && typed('preset')) {
    throw new UsageError('give either --preset or --model-architecture/--model-size-info, not both');
  }
  const architecture = typed('modelArchitecture')
    ? opts.modelArchitecture
    : (saved?.modelArchitecture ?? opts.modelArchitecture);
  if (!architecture) {
    throw new UsageError(
      'choose a model: --preset ds_cnn_s (see kws info --all) or --model-architecture A --model-size-info N…',
    );
  }
  const modelSizeInfo = typed('modelSizeInfo') ? opts.modelSizeInfo : (saved?.modelSizeInfo ?? opts.modelSizeInfo);
  if (!modelSizeInfo || modelSizeInfo.length === 0) {
    throw new UsageError(
      `--model-architecture ${architecture} needs --model-size-info (see kws info --all for the paper's sizes)`,
    );
  }
  return { architecture, modelSizeInfo };
}

/**
 * A saved run config as option values (the keys are the option keys), to sit in the option
 * layers under what is typed now: `kws eval --train-dir R --split-salt x` reuses the rest of R.
 */
export function runConfigOptionLayer(run: RunConfig): Partial<CommonOptions & TrainSettings & { target: TargetName }> {
  return {
    ...run.feature,
    ...run.data,
    ...run.augment,
    ...run.train,
    modelArchitecture: run.architecture,
    modelSizeInfo: run.modelSizeInfo,
    preset: run.preset,
    seed: run.seed,
    // The target QAT trained for: what `kws train` resumes with and `kws quantize` writes by default.
    target: run.train.quantizeAwareTarget,
  };
}

/** The data settings out of merged options, with the data folder made absolute. */
export function dataSettingsFrom(options: DataSettings): DataSettings {
  return {
    dataDir: path.resolve(options.dataDir),
    wantedWords: options.wantedWords,
    split: options.split,
    splitSalt: options.splitSalt,
    validationPercentage: options.validationPercentage,
    testingPercentage: options.testingPercentage,
    silencePercentage: options.silencePercentage,
    unknownPercentage: options.unknownPercentage,
  };
}

/** The run that `--train-dir` names (required by every command after train), with its saved settings. */
export function trainedRun(trainDir: string | undefined): { dir: RunDir; run: RunConfig } {
  if (!trainDir) throw new UsageError("give --train-dir: the folder 'kws train' wrote (e.g. runs/ds_cnn_s)");
  const dir = new RunDir(trainDir);
  return { dir, run: loadRunConfig(dir) };
}
