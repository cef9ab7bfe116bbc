import type { Command } from 'commander';
import { BACKEND_OPTIONS, JSON_OPTION, addOptions, parsePositiveInteger, parseWordList } from '../options.js';

interface BenchCliOptions {
  presets: string[];
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
  steps: number;
  batchSize: number;
  json?: boolean;
}

export function registerBenchCommand(program: Command): void {
  const command = program
    .command('bench')
    .description(
      'measure training and inference samples/s of zoo presets (generated data) and feature extraction clips/s',
    );
  addOptions(command, [
    {
      flags: '--presets <names>',
      description: 'comma-separated presets',
      defaultValue: ['ds_cnn_s', 'dnn_s'],
      parse: parseWordList,
    },
    {
      flags: '--steps <n>',
      description: 'timed training steps per preset (after 3 warm-up steps)',
      defaultValue: 20,
      parse: parsePositiveInteger,
    },
    { flags: '--batch-size <n>', description: 'clips per step', defaultValue: 100, parse: parsePositiveInteger },
    ...BACKEND_OPTIONS,
    JSON_OPTION,
  ]);
  command.action(async () => {
    const options = command.opts<BenchCliOptions>();
    // Loaded here so that `kws --help` and light commands do not pay for TensorFlow.js.
    const { runBench } = await import('../../train/bench.js');
    const result = await runBench({
      presets: options.presets,
      backend: options.backend,
      trainSteps: options.steps,
      batchSize: options.batchSize,
      onProgress: options.json ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const width = Math.max(6, ...options.presets.map((p) => p.length));
    const lines = [
      `backend: ${result.backend}, batch ${options.batchSize}`,
      `${'preset'.padEnd(width)}  train samples/s  inference samples/s`,
      ...options.presets.map(
        (p) =>
          `${p.padEnd(width)}  ${String(result.train_samples_per_s[p]).padStart(15)}  ${String(result.infer_samples_per_s[p]).padStart(19)}`,
      ),
      `features: ${result.features_clips_per_s} clips/s (49x10 MFCC, one core)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
