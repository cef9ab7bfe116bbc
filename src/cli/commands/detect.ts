/**
 * `kws detect`: streaming keyword detection over long audio (files or `-` for stdin) with
 * tflite-micro style posterior smoothing, threshold and suppression; `--labels` scores the
 * detections against a truth CSV with a threshold sweep; `--make-stream` builds such a test
 * stream from a labelled folder.
 */
import type { Command } from 'commander';
import type { BackendPreference } from '../../backend/index.js';
import type { StreamDetectionResult } from '../../detect/detector.js';
import {
  formatThreshold,
  readTruthCsv,
  scoreDetections,
  thresholdSweep,
  type TruthEvent,
} from '../../detect/evaluation.js';
import { makeStream } from '../../detect/make-stream.js';
import { keywordIndices, type PosteriorSettings } from '../../detect/posteriors.js';
import { writeDetectionReport, type DetectionEvaluation } from '../../detect/report.js';
import { openAudioInput } from '../../detect/wav-stream.js';
import { UsageError } from '../../errors.js';
import type { Classifier } from '../../eval/classifier.js';
import type { SplitRule } from '../../data/dataset-index.js';
import type { CheckpointName } from '../../run/layout.js';
import { detectionLine, runOperatingPoint } from '../detections.js';
import { trainedRun } from '../resolve.js';
import {
  BACKEND_OPTIONS,
  DATA_OPTIONS,
  FEATURE_OPTIONS,
  JSON_OPTION,
  OPERATING_POINT_OPTIONS,
  SEED_OPTION,
  addOptions,
  parseNonNegative,
  parseNumber,
  parseWordList,
  QUANTIZED_OPTION,
  TRAINED_RUN_OPTIONS,
} from '../options.js';

interface DetectCliOptions {
  trainDir?: string;
  checkpoint?: CheckpointName;
  quantized?: boolean;
  backend: BackendPreference;
  hopMs?: number;
  averageWindowMs?: number;
  threshold?: number;
  suppressionMs?: number;
  json?: boolean;
  labels?: string;
  toleranceMs: number;
  report?: string;
  makeStream?: string;
  dataDir?: string;
  split: SplitRule;
  splitSalt: string;
  validationPercentage: number;
  testingPercentage: number;
  durationS: number;
  words?: string[];
  gapS: number;
  noiseVolume: number;
  seed: number;
  sampleRate: number;
  clipDurationMs: number;
}

const DEFAULT_TOLERANCE_MS = 1500;
/** Thresholds shown in the text summary of a sweep (the JSON and the report have all of them). */
const SUMMARY_THRESHOLDS = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99];

function only(specs: typeof DATA_OPTIONS, flags: readonly string[]): typeof DATA_OPTIONS {
  return specs.filter((spec) => flags.some((flag) => spec.flags.startsWith(`${flag} `)));
}

export function registerDetectCommand(program: Command): void {
  const command = program
    .command('detect')
    .description(
      'spot keywords in long audio (sliding window, smoothed posteriors, threshold, suppression); score them against a truth CSV; or build a test stream',
    )
    .argument(
      '[inputs...]',
      "WAV files at the model's sample rate (any PCM or float format, any channels), or - for stdin",
    );
  addOptions(command, [...TRAINED_RUN_OPTIONS, QUANTIZED_OPTION]);
  addOptions(command, OPERATING_POINT_OPTIONS);
  addOptions(command, [
    {
      ...JSON_OPTION,
      description:
        'one JSON object per line per detection {"time_s","label","score"} (plus "file" with several inputs), then a {"summary"} line per input',
    },
    {
      flags: '--labels <csv>',
      description:
        "truth CSV (header time_s,word; time_s = centre of the word's clip): report recall, false alarms per hour and a threshold sweep",
    },
    {
      flags: '--tolerance-ms <ms>',
      description: 'a detection of the right word this close to a truth time is a hit',
      defaultValue: DEFAULT_TOLERANCE_MS,
      parse: parseNonNegative,
    },
    {
      flags: '--report <dir>',
      description:
        'with --labels: write evaluation.json, sweep.svg (recall vs false alarms per hour) and index.html there',
    },
    {
      flags: '--make-stream <out.wav>',
      description:
        'instead of detecting: build a test stream from --data-dir testing-set clips over background noise, with the truth in <out>.csv',
    },
    {
      flags: '--duration-s <s>',
      description: '--make-stream: length of the stream',
      defaultValue: 600,
      parse: parseNumber,
    },
    {
      flags: '--words <words>',
      description: '--make-stream: comma-separated folders to take clips from (default: all but _silence_)',
      parse: parseWordList,
    },
    {
      flags: '--gap-s <s>',
      description: '--make-stream: mean pause between clips (each uniform in [gap/2, 3·gap/2])',
      defaultValue: 3,
      parse: parseNonNegative,
    },
    {
      flags: '--noise-volume <v>',
      description: '--make-stream: gain of the background noise',
      defaultValue: 0.1,
      parse: parseNonNegative,
    },
  ]);
  addOptions(
    command,
    only(DATA_OPTIONS, ['--data-dir', '--split', '--split-salt', '--validation-percentage', '--testing-percentage']),
  );
  addOptions(command, only(FEATURE_OPTIONS, ['--sample-rate', '--clip-duration-ms']));
  addOptions(command, [SEED_OPTION]);
  addOptions(command, BACKEND_OPTIONS);
  command.action(async (inputs: string[]) => {
    const options = command.opts<DetectCliOptions>();
    if (options.makeStream !== undefined) {
      if (inputs.length > 0) throw new UsageError('--make-stream builds a stream; it takes no input files');
      buildStream(options);
      return;
    }
    await runDetection(inputs, options);
  });
}

function buildStream(options: DetectCliOptions): void {
  if (!options.dataDir) throw new UsageError('--make-stream needs --data-dir (a folder of labelled clips)');
  const result = makeStream({
    out: options.makeStream!,
    dataDir: options.dataDir,
    durationS: options.durationS,
    words: options.words,
    gapS: options.gapS,
    noiseVolume: options.noiseVolume,
    seed: options.seed,
    sampleRate: options.sampleRate,
    clipDurationMs: options.clipDurationMs,
    split: options.split,
    splitSalt: options.splitSalt,
    validationPercentage: options.validationPercentage,
    testingPercentage: options.testingPercentage,
  });
  const counts = new Map<string, number>();
  for (const p of result.placements) counts.set(p.word, (counts.get(p.word) ?? 0) + 1);
  const perWord = [...counts]
    .sort()
    .map(([word, count]) => `${word} ${count}`)
    .join(', ');
  const noise =
    result.noise === 'files'
      ? `${options.dataDir}/_background_noise_`
      : 'generated noise (no _background_noise_ folder)';
  process.stdout.write(
    `wrote ${result.wavPath} (${result.seconds.toFixed(1)} s, ${result.placements.length} clips: ${perWord}; ` +
      `background: ${noise} × ${options.noiseVolume})\n` +
      `wrote ${result.truthPath} (time_s = centre of each clip)\n`,
  );
}

async function runDetection(inputs: string[], options: DetectCliOptions): Promise<void> {
  if (inputs.length === 0)
    throw new UsageError('give WAV files to scan (or - for stdin), or --make-stream OUT.wav to build one');
  if (options.labels && inputs.length > 1) throw new UsageError('--labels scores one stream: give exactly one input');
  if (options.report && !options.labels)
    throw new UsageError('--report needs --labels (the truth CSV to score against)');
  if (inputs.filter((input) => input === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const truth = options.labels ? readTruthCsv(options.labels) : undefined;
  const { dir } = trainedRun(options.trainDir);
  // Loaded here so that `kws --help`, --make-stream and usage errors do not pay for TensorFlow.js.
  const [{ openClassifier }, { detectStream }] = await Promise.all([
    import('../../eval/classifier.js'),
    import('../../detect/detector.js'),
  ]);
  const classifier = await openClassifier(dir.root, {
    checkpoint: options.checkpoint,
    quantized: options.quantized,
    backend: options.backend,
  });
  try {
    const settings = runOperatingPoint(
      dir.root,
      classifier.quantized ? 'int8' : 'float',
      classifier.checkpoint,
      options,
    );
    for (const input of inputs) {
      await detectOne(detectStream, input, classifier, { ...options, ...settings }, inputs.length > 1, truth);
    }
  } finally {
    classifier.dispose();
  }
}

async function detectOne(
  detectStream: typeof import('../../detect/detector.js').detectStream,
  input: string,
  classifier: Classifier,
  options: DetectCliOptions & PosteriorSettings,
  several: boolean,
  truth: TruthEvent[] | undefined,
): Promise<void> {
  const name = input === '-' ? 'stdin' : input;
  const file = several ? name : undefined;
  const result = await detectStream(openAudioInput(input), name, classifier, {
    hopMs: options.hopMs,
    averageWindowMs: options.averageWindowMs,
    threshold: options.threshold,
    suppressionMs: options.suppressionMs,
    keepTrace: truth !== undefined,
    onDetection: (detection) => process.stdout.write(detectionLine(detection, file, Boolean(options.json))),
  });
  const evaluation = truth ? evaluate(name, result, classifier.labels, truth, options) : undefined;
  const realTimeFactor = result.computeSeconds > 0 ? result.audioSeconds / result.computeSeconds : null;
  if (options.json) {
    const summary = {
      input: name,
      audioSeconds: result.audioSeconds,
      windows: result.windows,
      detections: result.detections.length,
      computeSeconds: result.computeSeconds,
      realTimeFactor,
      ...(evaluation ? { evaluation } : {}),
    };
    process.stdout.write(`${JSON.stringify({ summary })}\n`);
  } else {
    process.stdout.write(textSummary(name, result, realTimeFactor, evaluation));
  }
  if (evaluation && options.report) {
    const files = writeDetectionReport(options.report, evaluation);
    process.stderr.write(`kws: wrote ${files.join(', ')}\n`);
  }
}

function evaluate(
  name: string,
  result: StreamDetectionResult,
  labels: readonly string[],
  truth: TruthEvent[],
  options: DetectCliOptions & PosteriorSettings,
): DetectionEvaluation {
  const keywords = keywordIndices(labels).map((i) => labels[i]!);
  const scoring = { keywords, toleranceS: options.toleranceMs / 1000, audioSeconds: result.audioSeconds };
  return {
    input: name,
    audioSeconds: result.audioSeconds,
    threshold: options.threshold,
    toleranceMs: options.toleranceMs,
    atThreshold: scoreDetections(result.detections, truth, scoring),
    sweep: thresholdSweep(result.trace!, labels, truth, { ...scoring, suppressionS: options.suppressionMs / 1000 }),
  };
}

function percent(value: number | null): string {
  return value === null ? 'n/a (no keyword in the truth CSV)' : `${(value * 100).toFixed(1)}%`;
}

function textSummary(
  name: string,
  result: StreamDetectionResult,
  realTimeFactor: number | null,
  evaluation: DetectionEvaluation | undefined,
): string {
  const detections = `${result.detections.length} detection${result.detections.length === 1 ? '' : 's'}`;
  const factor = realTimeFactor === null ? 'n/a' : `${realTimeFactor.toFixed(1)}×`;
  const lines = [
    `${name}: ${result.audioSeconds.toFixed(1)} s of ${result.format.format} audio, ${result.windows} windows, ${detections}; ` +
      `${result.computeSeconds.toFixed(2)} s of compute (real-time factor ${factor})`,
  ];
  if (evaluation) {
    const at = evaluation.atThreshold;
    lines.push(
      `  at threshold ${evaluation.threshold}: recall ${percent(at.recall)} (${at.hits} of ${at.keywordEvents}), ` +
        `${at.falseAlarms} false alarms = ${at.falseAlarmsPerHour.toFixed(1)} per hour (tolerance ${evaluation.toleranceMs} ms)`,
      '  threshold sweep (all thresholds 0.05–0.99999 in --json and --report):',
    );
    for (const point of evaluation.sweep.filter((p) =>
      SUMMARY_THRESHOLDS.some((t) => Math.abs(t - p.threshold) < 1e-9),
    )) {
      lines.push(
        `    ${formatThreshold(point.threshold)}  recall ${percent(point.recall).padStart(6)}  ` +
          `${point.falseAlarmsPerHour.toFixed(1).padStart(7)} false alarms/h`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
