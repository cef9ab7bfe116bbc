/**
 * `kws eval`: accuracy, confusion matrix and per-class figures of a trained run on one set, float
 * or (--quantized) the bit-exact integer network; --report writes an HTML page with charts.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { BackendPreference } from '../../backend/index.js';
import type { Evaluation, ModelKind } from '../../eval/evaluate.js';
import { EVALUATION_SET_CHOICES, type EvaluationSetChoice } from '../../eval/sets.js';
import {
  evaluationJson,
  formatMetrics,
  formatPointCosts,
  formatVersusFloat,
  pointCostsJson,
  versusFloatJson,
} from '../../eval/format.js';
import { writeRunReport } from '../../eval/report.js';
import { validateFeatureConfig } from '../../features/config.js';
import { labelsFor, type RunConfig } from '../../run/config.js';
import type { CheckpointName } from '../../run/layout.js';
import {
  BACKEND_OPTIONS,
  DATA_OPTIONS,
  FEATURE_OPTIONS,
  JSON_OPTION,
  QUANTIZED_OPTION,
  TRAINED_RUN_OPTIONS,
  addOptions,
  featureConfigFrom,
  layeredOptions,
} from '../options.js';
import { resampleNotice } from '../notices.js';
import { createProgress, type ProgressReporter } from '../progress.js';
import { dataSettingsFrom, runConfigOptionLayer, trainedRun, type CommonOptions } from '../resolve.js';

interface EvalCliOptions extends CommonOptions {
  trainDir?: string;
  checkpoint?: CheckpointName;
  quantized?: boolean;
  byPoint?: boolean;
  set: EvaluationSetChoice;
  json?: boolean;
  report?: string;
  backend: BackendPreference;
}

export function registerEvalCommand(program: Command): void {
  const command = program
    .command('eval')
    .description(
      "accuracy, confusion matrix and per-class precision/recall/F1 of a trained run (ARM's test.py; --quantized: quant_test.py's integer model)",
    );
  addOptions(command, [...TRAINED_RUN_OPTIONS, QUANTIZED_OPTION]);
  addOptions(command, [
    {
      flags: '--set <set>',
      description:
        'training (without augmentation), validation, testing, or all (every clip of --data-dir, e.g. the canonical test archive)',
      defaultValue: 'testing',
      choices: EVALUATION_SET_CHOICES,
    },
    {
      flags: '--report <dir>',
      description:
        'also write an HTML report (confusion heat-map, per-class table, training curves, model cost) and SVG charts there',
    },
    {
      flags: '--by-point',
      description:
        "with --quantized (q7 networks): what each quantisation point and each layer's weights cost alone " +
        '(the float network with only that rounded, against float clip by clip)',
    },
    JSON_OPTION,
  ]);
  addOptions(command, DATA_OPTIONS);
  addOptions(command, FEATURE_OPTIONS);
  addOptions(command, BACKEND_OPTIONS);
  command.action(async () => {
    const { dir, run: saved } = trainedRun(command.opts<EvalCliOptions>().trainDir);
    const options = layeredOptions<EvalCliOptions>(command, runConfigOptionLayer(saved));
    await runEval(dir.root, effectiveRun(saved, options), options, typedCommandLine(command));
  });
}

/** The options given on the command line, as a command that repeats the run (for the report's foot). */
function typedCommandLine(command: Command): string {
  const words = ['kws', command.name()];
  for (const option of command.options) {
    const key = option.attributeName();
    if (command.getOptionValueSource(key) !== 'cli' || !option.long) continue;
    const value: unknown = command.getOptionValue(key);
    words.push(
      value === true ? option.long : `${option.long} ${Array.isArray(value) ? value.join(',') : String(value)}`,
    );
  }
  return words.join(' ');
}

/** The saved run with the data and feature options typed now. */
function effectiveRun(saved: RunConfig, options: EvalCliOptions): RunConfig {
  const feature = featureConfigFrom(options);
  validateFeatureConfig(feature);
  return { ...saved, feature, data: dataSettingsFrom(options), labels: labelsFor(options.wantedWords) };
}

async function runEval(trainDir: string, run: RunConfig, options: EvalCliOptions, command: string): Promise<void> {
  const primary: ModelKind = options.quantized ? 'int8' : 'float';
  // The int8 network is always shown against its float model on the same clips.
  const kinds: ModelKind[] = options.quantized ? ['float', 'int8'] : ['float'];
  let progress: ProgressReporter | undefined;
  // Loaded here so that `kws --help` and usage errors do not pay for TensorFlow.js.
  const { evaluateRun } = await import('../../eval/evaluate.js');
  const evaluation = await evaluateRun({
    trainDir,
    run,
    set: options.set,
    kinds,
    checkpoint: options.checkpoint,
    backend: options.backend,
    byPoint: options.byPoint,
    cacheDir: options.cacheDir,
    onProgress: (done, total) => {
      progress ??= createProgress(`features (${options.set})`, total);
      progress.update(done);
    },
    onResample: resampleNotice(run.feature.sampleRate),
  });
  progress?.finish(
    evaluation.computed > 0
      ? `${evaluation.computed} clips featurised (cached for the next run)`
      : 'features from the cache',
  );
  for (const warning of evaluation.warnings) process.stderr.write(`kws: warning: ${warning}\n`);
  const metrics = evaluation[primary]!;
  const { float, int8VersusFloat, byPoint } = evaluation;

  if (options.json) {
    const json = evaluationJson(options.set, evaluation.labels, metrics, primary === 'int8');
    if (float && int8VersusFloat) json.versus_float = versusFloatJson(float, int8VersusFloat);
    if (byPoint) json.by_point = pointCostsJson(byPoint);
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    process.stdout.write(`${formatMetrics(headingFor(evaluation, primary, options), metrics, evaluation.labels)}\n`);
    if (float && int8VersusFloat) process.stdout.write(`${formatVersusFloat(float, int8VersusFloat)}\n`);
    if (byPoint) process.stdout.write(`\n${formatPointCosts(byPoint)}\n`);
  }
  if (options.report) {
    const files = writeRunReport(path.resolve(options.report), trainDir, run, evaluation, command);
    // stderr, so --json output on stdout stays one parseable object.
    process.stderr.write(
      `report: ${files.at(-1)} (and ${files.length - 1} SVG file${files.length === 2 ? '' : 's'})\n`,
    );
  }
}

function headingFor(evaluation: Evaluation, kind: ModelKind, options: EvalCliOptions): string {
  const backend = evaluation.backend ? `, ${evaluation.backend.name} backend` : '';
  const model =
    kind === 'int8'
      ? `int8 network of the ${evaluation.checkpoint} checkpoint (bit-exact CMSIS-NN simulation)`
      : `float model (${evaluation.checkpoint} checkpoint${backend})`;
  return `${options.set} set, ${model}`;
}
