import type { Command } from 'commander';
import { runBench } from '../../train/bench.js';
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
    .description('measure training and inference samples/s of zoo presets (generated data) and feature extraction clips/s');
  addOptions(command, [
    { flags: '--presets <names>', description: 'comma-separated presets', defaultValue: ['ds_cnn_s', 'dnn_s'], parse: parseWordList },
    { flags: '--steps <n>', description: 'timed training steps per preset (after 3 warm-up steps)', defaultValue: 20, parse: parsePositiveInteger },
    { flags: '--batch-size <n>', description: 'clips per step', defaultValue: 100, parse: parsePositiveInteger },
    ...BACKEND_OPTIONS,
    JSON_OPTION,
  ]);
  command.action(async () => {
    const options = command.opts<BenchCliOptions>();
    const result = await runBench({
      presets: options.presets,
      backend: options.backend,
      trainSteps: options.steps,
      batchSize: options.batchSize,
      onProgress: options.json ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`backend ${result.backend}\n`);
  });
}
