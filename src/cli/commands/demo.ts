import path from 'node:path';
import type { Command } from 'commander';
import { DEMO_DEFAULTS } from '../../demo/defaults.js';
import { percent, signedInterval, signedPoints } from '../../eval/format.js';
import { BACKEND_OPTIONS, addOptions, parseNumberList, parsePositiveInteger } from '../options.js';
import { trainingReporter, type TrainingReporter } from '../train-progress.js';

interface DemoCliOptions {
  outDir: string;
  dataDir?: string;
  splitSalt: string;
  preset: string;
  howManyTrainingSteps: number[];
  learningRate: number[];
  batchSize: number;
  evalStepInterval: number;
  speakers: number;
  seed: number;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'the whole toolchain offline in a few minutes: generated keywords → train ds_cnn_s → quantise → C → float and int8 evaluation → report',
    );
  addOptions(command, [
    { flags: '--out-dir <dir>', description: 'where the data, run, C code and report go', defaultValue: 'runs/demo' },
    { flags: '--data-dir <dir>', description: 'a real Speech Commands folder instead of the generated dataset' },
    {
      flags: '--split-salt <salt>',
      description: "with --data-dir: text hashed before each speaker id ('kws' for the canonical test archive)",
      defaultValue: '',
    },
    { flags: '--preset <name>', description: 'zoo preset to train', defaultValue: DEMO_DEFAULTS.preset },
    {
      flags: '--how-many-training-steps <list>',
      description: 'steps per learning-rate stage',
      defaultValue: DEMO_DEFAULTS.steps,
      parse: parseNumberList,
    },
    {
      flags: '--learning-rate <list>',
      description: 'learning rate of each stage',
      defaultValue: DEMO_DEFAULTS.learningRates,
      parse: parseNumberList,
    },
    {
      flags: '--batch-size <n>',
      description: 'clips per training step',
      defaultValue: DEMO_DEFAULTS.batchSize,
      parse: parsePositiveInteger,
    },
    {
      flags: '--eval-step-interval <n>',
      description: 'validate and checkpoint every n steps',
      defaultValue: DEMO_DEFAULTS.evalStepInterval,
      parse: parsePositiveInteger,
    },
    {
      flags: '--speakers <n>',
      description: 'generated speakers (2 clips of every word each)',
      defaultValue: DEMO_DEFAULTS.speakers,
      parse: parsePositiveInteger,
    },
    { flags: '--seed <n>', description: 'random seed', defaultValue: DEMO_DEFAULTS.seed, parse: parsePositiveInteger },
    ...BACKEND_OPTIONS,
  ]);
  command.action(async () => {
    const options = command.opts<DemoCliOptions>();
    // Loaded here so that `kws --help` and light commands do not pay for TensorFlow.js.
    const { runDemo } = await import('../../demo/demo.js');
    let reporter: TrainingReporter | undefined;
    const started = Date.now();
    const summary = await runDemo({
      outDir: options.outDir,
      dataDir: options.dataDir,
      splitSalt: options.splitSalt,
      preset: options.preset,
      steps: options.howManyTrainingSteps,
      learningRates: options.learningRate,
      batchSize: options.batchSize,
      evalStepInterval: options.evalStepInterval,
      speakers: options.speakers,
      clipsPerSpeaker: DEMO_DEFAULTS.clipsPerSpeaker,
      seed: options.seed,
      backend: options.backend,
      onStage: (message) => process.stderr.write(`kws demo: ${message}\n`),
      onTrainEvent: (event, run) => {
        // The demo prints its own summary of the test split, after quantisation.
        reporter ??= trainingReporter(run, { printTest: false });
        reporter.onEvent(event);
      },
    });
    const { evaluation, quantization } = summary;
    const relative = (file: string) => path.relative(process.cwd(), file) || '.';
    const paired = evaluation.int8VersusFloat;
    const int8Accuracy =
      evaluation.int8 && paired
        ? `, int8 (bit-exact CMSIS-NN) ${percent(evaluation.int8.accuracy)} ` +
          `(int8 − float ${signedPoints(paired.difference)} points, 95% interval ${signedInterval(paired.interval)})`
        : '';
    const cFiles =
      quantization.kind === 'integer'
        ? 'weights.h, model header and source, kws_features.*, kws_stream.*, quant.json'
        : 'weights.h, quant.json';
    const lines = [
      '',
      `kws demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      `  testing split (${evaluation.n} clips): float ${percent(evaluation.float!.accuracy)}${int8Accuracy}`,
      `  data:          ${relative(summary.dataDir)}`,
      `  training run:  ${relative(summary.trainDir)} (checkpoints, train-log.csv, config.json)`,
      `  C code:        ${relative(quantization.outDir)} (${cFiles})`,
      ...Object.entries(summary.operatingPoints).map(
        ([kind, point]) =>
          `  detector ${kind.padEnd(5)} threshold ${point.settings.threshold}, average ${point.settings.averageWindowMs} ms: ` +
          `recall ${percent(point.recall)} at ${point.falseAlarmsPerHour.toFixed(1)} false alarms/h on validation`,
      ),
      `  report:        ${relative(summary.reportFiles.at(-1)!)}`,
      '',
      'next: the same on real data —',
      '  kws data download && kws train --preset ds_cnn_s --data-dir data/speech_commands_v0.02 --train-dir runs/ds_cnn_s',
      '',
    ];
    process.stdout.write(lines.join('\n'));
  });
}
