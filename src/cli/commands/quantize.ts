/**
 * `kws quantize`: a trained run → 8-bit CMSIS-NN C (weights.h, <arch>.h, <arch>.c, quant.json)
 * plus the integer network for `kws eval --quantized`, for every architecture of the zoo. ARM's
 * quant_test.py + hand-written Deployment code in one step; `--act-max` takes ARM's list as it was.
 */
import type { Command } from 'commander';
import type { SetName } from '../../data/split.js';
import type { RangeMethod } from '../../quant/calibrate.js';
import { qFormatName } from '../../quant/qformat.js';
import { TARGET_NAMES, type TargetName } from '../../targets.js';
import { DEFAULT_CALIBRATION, type QuantReport, searchBlindNote } from '../../quant/report.js';
import type { RecurrentQuantReport } from '../../quant/recurrent/report.js';
import type { S8QuantReport } from '../../quant/s8/quantize.js';
import type { DataSettings } from '../../run/config.js';
import type { CheckpointName } from '../../run/layout.js';
import type { QuantizedSource } from '../../run/provenance.js';
import {
  DATA_OPTIONS,
  JSON_OPTION,
  SEED_OPTION,
  TARGET_FALSE_ALARMS_OPTION,
  TRAINED_RUN_OPTIONS,
  addOptions,
  collectNumbers,
  layeredOptions,
  parseNonNegative,
  parsePercentage,
} from '../options.js';
import { tuneOperatingPointWithProgress } from '../detections.js';
import { createProgress, type ProgressReporter } from '../progress.js';
import type { QuantizeStage } from '../../quant/run.js';
import { dataSettingsFrom, runConfigOptionLayer, trainedRun } from '../resolve.js';
import { formatTable } from '../../text-table.js';

interface QuantizeCliOptions extends DataSettings {
  trainDir?: string;
  checkpoint?: CheckpointName;
  calibration?: RangeMethod | 'qat';
  calibrationSet: SetName;
  calibrationSize: number;
  percentile: number;
  actMax?: number[];
  outDir?: string;
  cacheDir?: string;
  seed: number;
  json?: boolean;
  target: TargetName;
  targetFalseAlarmsPerHour: number;
}

export function registerQuantizeCommand(program: Command): void {
  const command = program
    .command('quantize')
    .description(
      'quantise a trained model to 8 bits: CMSIS-NN C (legacy q7 or current s8) for dnn, cnn and ds_cnn; ' +
        "legacy q7/q15 for basic_lstm, lstm, gru and crnn (ARM's quant_test.py and Deployment code)",
    );
  addOptions(command, TRAINED_RUN_OPTIONS);
  addOptions(command, [
    {
      flags: '--target <api>',
      description:
        "cmsis-nn-q7: the legacy q7 functions with power-of-two formats (the paper's scheme, CMSIS 5.9); " +
        "cmsis-nn-s8: today's s8 API with TFLite's per-channel int8 scheme (CMSIS-NN 4.0 and later); " +
        'default: the target the run trained for with --quantize-aware, else cmsis-nn-q7',
      defaultValue: 'cmsis-nn-q7',
      choices: TARGET_NAMES,
    },
    {
      flags: '--calibration <method>',
      description:
        'activation ranges: search (the accuracy-best power of two per point, greedy from the input, ' +
        'as ARM users tuned --act_max by hand; slowest, best), max, percentile, or qat (the ranges --quantize-aware ' +
        'training learned; the default for its checkpoints when quantising for the target it trained for, else search)',
      choices: ['max', 'percentile', 'search', 'qat'],
    },
    {
      flags: '--calibration-set <set>',
      description: 'split whose clips (without augmentation) set the ranges',
      defaultValue: DEFAULT_CALIBRATION.set,
      choices: ['training', 'validation', 'testing'],
    },
    {
      flags: '--calibration-size <n>',
      description: 'clips drawn (seeded) from the calibration set; 0 = all of it',
      defaultValue: DEFAULT_CALIBRATION.size,
      parse: parseNonNegative,
    },
    {
      flags: '--percentile <p>',
      description: 'for --calibration percentile: share of activations each range must hold',
      defaultValue: 99.99,
      parse: parsePercentage,
    },
    {
      flags: '--act-max <a...>',
      description:
        "ARM's ranges, one per point: input, every layer output before ReLU, (pool), logits; 0 = float in the fake-quant check",
      parse: collectNumbers,
    },
    { flags: '--out-dir <dir>', description: 'where the C files and quant.json go (default: <train-dir>/cmsis)' },
  ]);
  addOptions(command, DATA_OPTIONS);
  addOptions(command, [
    {
      ...TARGET_FALSE_ALARMS_OPTION,
      description: `${TARGET_FALSE_ALARMS_OPTION.description}; the int8 point is baked into kws_stream.h`,
    },
    SEED_OPTION,
    JSON_OPTION,
  ]);
  command.action(async () => {
    const { dir, run } = trainedRun(command.opts<QuantizeCliOptions>().trainDir);
    const options = layeredOptions<QuantizeCliOptions>(command, runConfigOptionLayer(run));
    // Loaded here so that `kws --help` and light commands do not pay for TensorFlow.js.
    const [{ quantizeTrainedRun }, { emitDeviceSources }] = await Promise.all([
      import('../../quant/run.js'),
      import('../../device/emit.js'),
    ]);
    // One progress line per stage (loading the calibration features, then a search's candidate
    // ranges), each closed as soon as its stage completes so its time is its own.
    const labels: Record<QuantizeStage, string> = {
      features: `features (${options.calibrationSet})`,
      search: 'calibration search',
    };
    let stage: QuantizeStage | undefined;
    let progress: ProgressReporter | undefined;
    const result = await quantizeTrainedRun({
      trainDir: dir.root,
      run,
      data: dataSettingsFrom(options),
      checkpoint: options.checkpoint ?? 'best',
      target: options.target,
      calibrationSet: options.calibrationSet,
      calibrationSize: options.calibrationSize,
      method: options.calibration,
      percentile: options.percentile,
      actMax: options.actMax,
      outDir: options.outDir,
      cacheDir: options.cacheDir,
      seed: options.seed,
      onProgress: (next, done, total) => {
        if (next !== stage) {
          stage = next;
          progress = createProgress(labels[next], total);
        }
        progress?.update(done, next === 'search' ? 'candidate ranges' : '');
        if (done >= total) {
          progress?.finish();
          progress = undefined;
        }
      },
      onWarning: (warning) => process.stderr.write(`kws: warning: ${warning}\n`),
    });
    const { quantized, files, source } = result;
    // The integer network's scores differ from the float model's: its own point goes into kws_stream.h.
    const point =
      options.targetFalseAlarmsPerHour > 0
        ? await tuneOperatingPointWithProgress(dir.root, 'int8', options.targetFalseAlarmsPerHour)
        : undefined;
    const device = emitDeviceSources(quantized.network, result.outDir, point?.settings);
    const written = [
      files.weightsHeader,
      files.modelHeader,
      files.modelSource,
      device.frontEnd.header,
      device.frontEnd.source,
      device.stream.header,
      device.stream.source,
      result.quantJson,
      result.networkFile,
      ...(point ? [dir.operatingPoint] : []),
    ];
    const { architecture } = quantized.network;
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ architecture, source, files: written, report: quantized.report }, null, 2)}\n`
        : result.kind === 's8'
          ? formatS8Summary(architecture, options, source, result.quantized.report, written)
          : result.kind === 'recurrent'
            ? formatRecurrentSummary(architecture, options, source, result.quantized.report, written)
            : formatSummary(architecture, options, source, result.quantized.report!, written),
    );
  });
}

/** Which checkpoint, at which step, was quantised. */
function sourceLine(source: QuantizedSource): string {
  return `${source.checkpoint} checkpoint, step ${source.step}`;
}

const percent = (value: number | undefined) => (value === undefined ? 'n/a' : `${(value * 100).toFixed(2)}%`);

/** Space-padded, left-aligned columns, the header row first. */
function table(rows: string[][]): string[] {
  return formatTable(rows, () => true).split('\n');
}

/** The quantiser's adjustments, and what the calibration could not see, one `note:` line each. */
function noteLines(
  report: { adjustments: string[]; method: string; accuracy?: { float: number } },
  calibrationSet: string,
): string[] {
  return [...report.adjustments, ...searchBlindNote(report.method, report.accuracy?.float, calibrationSet)].map(
    (note) => `note: ${note}`,
  );
}

function methodName(method: string, options: QuantizeCliOptions): string {
  if (method === 'qat') return 'quantisation-aware training (learned ranges)';
  return method === 'act-max' ? '--act-max' : method === 'percentile' ? `percentile ${options.percentile}` : method;
}

/** The q7 target: each point's power-of-two range and Q format, and ARM's --act_max equivalent. */
function formatSummary(
  architecture: string,
  options: QuantizeCliOptions,
  source: QuantizedSource,
  report: QuantReport,
  written: string[],
): string {
  const accuracy = report.accuracy;
  const lines = [
    `Quantised ${architecture} for ${source.target} (${sourceLine(source)}) on ${report.calibrationSamples} ` +
      `${options.calibrationSet} clips; ranges by ${methodName(report.method, options)}.`,
    ...table([
      ['point', 'observed max', 'range (act_max)', 'format', 'clamped'],
      ...report.points.map((p) => [
        p.point,
        p.observedMaxAbs.toPrecision(4),
        String(p.actMax),
        qFormatName(p.frac),
        `${p.saturated} / ${p.total}`,
      ]),
    ]),
    `Accuracy on those clips: float ${percent(accuracy?.float)}, fake-quant ${percent(accuracy?.fakeQuant)}, ` +
      `integer (bit-exact CMSIS-NN) ${percent(accuracy?.integer)}`,
    `ARM equivalent: --act_max ${report.points.map((p) => p.actMax).join(' ')}`,
    ...noteLines(report, options.calibrationSet),
    'Wrote:',
    ...written.map((file) => `  ${file}`),
    '',
  ];
  return lines.join('\n');
}

/** The s8 target: each point's chosen range, scale and zero point. */
function formatS8Summary(
  architecture: string,
  options: QuantizeCliOptions,
  source: QuantizedSource,
  report: S8QuantReport,
  written: string[],
): string {
  const lines = [
    `Quantised ${architecture} for ${source.target} (${sourceLine(source)}) on ${report.calibrationSamples} ` +
      `${options.calibrationSet} clips; ranges by ${methodName(report.method, options)}; weights per output channel.`,
    ...table([
      ['point', 'observed min .. max', 'range', 'scale', 'zero point', 'clamped'],
      ...report.points.map((p) => [
        p.point,
        `${p.observedMin.toPrecision(4)} .. ${p.observedMax.toPrecision(4)}`,
        p.inherited ? "(its input's)" : `${p.chosenMin.toPrecision(4)} .. ${p.chosenMax.toPrecision(4)}`,
        p.scale.toPrecision(4),
        String(p.zeroPoint),
        `${p.saturated} / ${p.total}`,
      ]),
    ]),
    `Accuracy on those clips: float ${percent(report.accuracy.float)}, ` +
      `integer (bit-exact CMSIS-NN s8) ${percent(report.accuracy.integer)}`,
    ...noteLines(report, options.calibrationSet),
    'Wrote:',
    ...written.map((file) => `  ${file}`),
    '',
  ];
  return lines.join('\n');
}

/** The recurrent networks: each point's type (q7, or q15 inside the cells), range and format. */
function formatRecurrentSummary(
  architecture: string,
  options: QuantizeCliOptions,
  source: QuantizedSource,
  report: RecurrentQuantReport,
  written: string[],
): string {
  const lines = [
    `Quantised ${architecture} for ${source.target} (${sourceLine(source)}) on ${report.calibrationSamples} ` +
      `${options.calibrationSet} clips; ranges by ${methodName(report.method, options)}; q15 inside the cells.`,
    ...table([
      ['point', 'type', 'observed max', 'range', 'format', 'clamped'],
      ...report.points.map((p) => [
        p.point,
        p.type,
        p.observedMaxAbs.toPrecision(4),
        String(p.range),
        qFormatName(p.frac, p.type === 'q7' ? 8 : 16),
        `${p.saturated} / ${p.total}`,
      ]),
    ]),
    `Accuracy on those clips: float ${percent(report.accuracy.float)}, ` +
      `integer (bit-exact CMSIS-NN q7/q15) ${percent(report.accuracy.integer)}`,
    ...noteLines(report, options.calibrationSet),
    'Wrote:',
    ...written.map((file) => `  ${file}`),
    '',
  ];
  return lines.join('\n');
}
