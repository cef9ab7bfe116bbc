import type { Command } from 'commander';
import { BACKEND_OPTIONS, JSON_OPTION, addOptions, parsePositiveInteger, parseWordList } from '../options.js';

interface BenchCliOptions {
  presets: string[];
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
  steps: number;
  batchSize: number;
  peer?: 'pytorch';
  rounds: number;
  json?: boolean;
}

export function registerBenchCommand(program: Command): void {
  const command = program
    .command('bench')
    .description(
      'measure training samples/s of zoo presets (compute on a fixed batch on one and two threads, and through the batch ' +
        'pipeline on generated clips), inference samples/s, and feature extraction clips/s',
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
    {
      flags: '--peer <name>',
      description:
        'also train the same models in PyTorch on the CPU (scripts/bench-pytorch.py, 2 threads; needs python3 with torch) ' +
        'in rounds alternating with kws on two threads, and print the ratios',
      choices: ['pytorch'],
    },
    {
      flags: '--rounds <n>',
      description: 'alternating kws / peer rounds (with --peer)',
      defaultValue: 3,
      parse: parsePositiveInteger,
    },
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
      peer: options.peer,
      peerRounds: options.rounds,
      onProgress: options.json ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const width = Math.max(6, ...options.presets.map((p) => p.length));
    const row = (cells: Array<string | number | undefined>) =>
      cells.map((cell, i) => (i === 0 ? String(cell).padEnd(width) : String(cell ?? '-').padStart(18))).join('  ');
    const lines = [
      `backend: ${result.backend}, batch ${options.batchSize}; samples/s`,
      row([
        'preset',
        'train (1 thread)',
        'QAT q7 (1 thread)',
        'QAT s8 (1 thread)',
        'train (2 threads)',
        'train (pipeline)',
        'inference',
      ]),
      ...options.presets.map((p) =>
        row([
          p,
          result.train_samples_per_s[p],
          result.train_qat_samples_per_s[p],
          result.train_qat_s8_samples_per_s[p],
          result.train_two_threads_samples_per_s[p],
          result.train_pipeline_samples_per_s[p],
          result.infer_samples_per_s[p],
        ]),
      ),
      'train: the training step alone on a fixed batch (2 threads: --train-workers 2; ' +
        'QAT: --quantize-aware --target cmsis-nn-q7 / cmsis-nn-s8); pipeline: with generated clips augmented and featurised on the worker thread',
      `features: ${result.features_clips_per_s} clips/s (49x10 MFCC, one core)`,
    ];
    const peer = result.peer;
    if (peer) {
      lines.push(
        '',
        `against PyTorch ${peer.version} on the CPU, ${peer.threads} threads (medians of ${peer.rounds.length} alternating rounds)`,
        row(['preset', 'kws (2 threads)', 'PyTorch', 'kws / PyTorch']),
        ...Object.keys(peer.ratio).map((p) =>
          row([p, peer.kws_samples_per_s[p], peer.train_samples_per_s[p], `${peer.ratio[p]!.toFixed(2)}x`]),
        ),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
