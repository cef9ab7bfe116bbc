/**
 * `kws demo`: the whole toolchain on a fresh clone, offline — a generated 12-class dataset (or a
 * real one), a short DS-CNN training run, quantisation to CMSIS-NN C, float and int8 evaluation,
 * and the HTML report. Each stage is the same library call the individual commands make.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BackendPreference } from '../backend/index.js';
import { generateSyntheticDataset } from '../data/synthetic.js';
import { evaluateRun, type Evaluation } from '../eval/evaluate.js';
import { writeRunReport } from '../eval/report.js';
import { loadPreset, presetFeatureConfig } from '../models/presets.js';
import { emitDeviceSources } from '../device/emit.js';
import { DEFAULT_TARGET_FALSE_ALARMS_PER_HOUR } from '../detect/posteriors.js';
import type { ModelKind, StoredOperatingPoint } from '../detect/operating-point-store.js';
import { tuneRunOperatingPoint } from '../detect/run-operating-point.js';
import { DEFAULT_CALIBRATION } from '../quant/report.js';
import { quantizeTrainedRun, type QuantizeRunResult } from '../quant/run.js';
import { labelsFor, type RunConfig } from '../run/config.js';
import { train, type TrainEvent, type TrainResult } from '../train/trainer.js';

export const DEMO_KEYWORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
/** Other "words" of the generated set: the _unknown_ class. */
export const DEMO_OTHER_WORDS = ['bed', 'bird', 'cat', 'dog', 'happy', 'house'];

export interface DemoOptions {
  outDir: string;
  /** A real Speech Commands folder instead of the generated one. */
  dataDir?: string;
  splitSalt?: string;
  preset: string;
  steps: number[];
  learningRates: number[];
  batchSize: number;
  evalStepInterval: number;
  /** Generated data: speakers and clips per word per speaker. */
  speakers: number;
  clipsPerSpeaker: number;
  seed: number;
  backend?: BackendPreference;
  onStage?: (message: string) => void;
  /** Training progress, with the run it belongs to. */
  onTrainEvent?: (event: TrainEvent, run: RunConfig) => void;
}

export interface DemoSummary {
  dataDir: string;
  trainDir: string;
  training: TrainResult;
  quantization: QuantizeRunResult;
  evaluation: Evaluation;
  /** The detector settings chosen on the validation stream, as `kws train` and `kws quantize` choose them. */
  operatingPoints: Partial<Record<ModelKind, StoredOperatingPoint>>;
  reportFiles: string[];
}

function ensureGeneratedData(dir: string, options: DemoOptions): void {
  const marker = path.join(dir, '.kws-demo-data.json');
  const identity = JSON.stringify({
    speakers: options.speakers,
    clipsPerSpeaker: options.clipsPerSpeaker,
    seed: options.seed,
    version: 1,
  });
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === identity) return;
  fs.rmSync(dir, { recursive: true, force: true });
  generateSyntheticDataset({
    dir,
    words: [...DEMO_KEYWORDS, ...DEMO_OTHER_WORDS],
    speakers: options.speakers,
    clipsPerSpeaker: options.clipsPerSpeaker,
    seed: options.seed,
  });
  fs.writeFileSync(marker, identity);
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const say = options.onStage ?? (() => undefined);
  const outDir = path.resolve(options.outDir);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : path.join(outDir, 'data');
  const trainDir = path.join(outDir, 'run');
  if (!options.dataDir) {
    say(`generating a 12-class keyword dataset in ${dataDir}`);
    ensureGeneratedData(dataDir, options);
  }
  const preset = loadPreset(options.preset);
  const wantedWords = DEMO_KEYWORDS;
  const run: RunConfig = {
    version: 1,
    architecture: preset.architecture,
    modelSizeInfo: preset.modelSizeInfo,
    preset: preset.name,
    feature: presetFeatureConfig(preset),
    data: {
      dataDir,
      wantedWords,
      split: 'hash',
      splitSalt: options.splitSalt ?? '',
      // The generated set has few speakers: wider validation/testing shares keep neither split empty.
      validationPercentage: options.dataDir ? 10 : 20,
      testingPercentage: options.dataDir ? 10 : 20,
      silencePercentage: 10,
      unknownPercentage: 10,
    },
    augment: { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 },
    train: {
      howManyTrainingSteps: options.steps,
      learningRate: options.learningRates,
      batchSize: options.batchSize,
      evalStepInterval: options.evalStepInterval,
    },
    seed: options.seed,
    labels: labelsFor(wantedWords),
  };
  const cacheDir = path.join(outDir, 'cache');

  say(`training ${preset.name} for ${options.steps.reduce((a, b) => a + b, 0)} steps into ${trainDir}`);
  const onTrainEvent = options.onTrainEvent;
  // A demo starts over: resuming an earlier demo's checkpoint would skip the training it shows.
  const training = await train({
    run,
    trainDir,
    overwrite: true,
    backend: options.backend,
    cacheDir,
    onEvent: onTrainEvent && ((event) => onTrainEvent(event, run)),
  });

  say('quantising to 8-bit CMSIS-NN C');
  const quantization = await quantizeTrainedRun({
    trainDir,
    run,
    data: run.data,
    checkpoint: 'best',
    calibrationSet: DEFAULT_CALIBRATION.set,
    calibrationSize: DEFAULT_CALIBRATION.size,
    method: DEFAULT_CALIBRATION.method,
    cacheDir,
    seed: options.seed,
  });

  const integer = quantization.kind === 'integer';
  const kinds: ModelKind[] = integer ? ['float', 'int8'] : ['float'];
  say(`choosing the detector's operating point (${kinds.join(' and ')}) on a stream of validation clips`);
  const operatingPoints: DemoSummary['operatingPoints'] = {};
  for (const kind of kinds) {
    operatingPoints[kind] = await tuneRunOperatingPoint(trainDir, {
      kind,
      targetFalseAlarmsPerHour: DEFAULT_TARGET_FALSE_ALARMS_PER_HOUR,
    });
  }
  if (integer) emitDeviceSources(quantization.quantized.network, quantization.outDir, operatingPoints.int8?.settings);
  say(`evaluating the float model${integer ? ' and the int8 network' : ''} on the testing split`);
  const evaluation = await evaluateRun({
    trainDir,
    run,
    set: 'testing',
    kinds,
    backend: options.backend,
    cacheDir,
  });
  const reportFiles = writeRunReport(path.join(outDir, 'report'), trainDir, run, evaluation, 'kws demo');
  return { dataDir, trainDir, training, quantization, evaluation, operatingPoints, reportFiles };
}
