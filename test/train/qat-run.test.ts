/**
 * Quantisation-aware training through the trainer and `kws quantize`, for each target: the phase
 * starts where the run says, validates the integer network, keeps its own best checkpoint, saves
 * its ranges (and their target) with every checkpoint (so a stopped run resumes to the same
 * weights), and quantisation uses those ranges by default, giving the integer network the
 * trainer tested; the other target's quantisation refuses them in one line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRun } from '../../src/eval/evaluate.js';
import { loadModelFiles } from '../../src/models/io.js';
import { quantizeTrainedRun } from '../../src/quant/run.js';
import { fracBitsFor } from '../../src/quant/qformat.js';
import type { RunConfig } from '../../src/run/config.js';
import type { ActivationRange } from '../../src/quant/s8/build.js';
import type { TargetName } from '../../src/targets.js';
import { RunDir } from '../../src/run/layout.js';
import { readTrainerState } from '../../src/run/trainer-state.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import { registerQuantizeCommand } from '../../src/cli/commands/quantize.js';
import { registerTrainCommand } from '../../src/cli/commands/train.js';
import { generatedRunConfig, generateTrainingDataset } from '../helpers/generated-run.js';
import { runKws } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('qat-run');
const dataDir = path.join(root, 'data');

beforeAll(() => {
  generateTrainingDataset(dataDir);
});

const run = (quantizeAwareTarget?: TargetName): RunConfig =>
  generatedRunConfig(dataDir, {
    howManyTrainingSteps: [30, 20],
    learningRate: [0.003, 0.001],
    batchSize: 32,
    evalStepInterval: 10,
    quantizeAwareFrom: 31,
    ...(quantizeAwareTarget ? { quantizeAwareTarget } : {}),
  });

/** What kws quantize passes for a run trained for `target`: all validation clips, the run's defaults. */
function quantizeOptionsFor(trainDir: string, cacheDir: string, target?: TargetName) {
  return {
    trainDir,
    run: run(target),
    data: run().data,
    checkpoint: 'best' as const,
    ...(target ? { target } : {}),
    calibrationSet: 'validation' as const,
    calibrationSize: 0,
    cacheDir,
    seed: 1,
  };
}

async function lastWeights(trainDir: string): Promise<Float32Array[]> {
  const model = await loadModelFiles(new RunDir(trainDir).checkpoint('last').dir, { labels: 5, from: 'the test' });
  const values = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  model.dispose();
  return values;
}

describe('quantisation-aware training in a run', () => {
  it('validates int8 from its first step, resumes to the same weights, and quantises with its ranges', async () => {
    const straight = path.join(root, 'straight');
    const cacheDir = path.join(root, 'cache');
    const events: TrainEvent[] = [];
    const result = await train({
      run: run(),
      trainDir: straight,
      backend: 'cpu',
      useWorker: false,
      cacheDir,
      onEvent: (e) => events.push(e),
    });
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e] : []));
    expect(evals.map((e) => [e.step, e.quantized])).toEqual([
      [10, false],
      [20, false],
      [30, false],
      [40, true],
      [50, true],
    ]);
    // Its own best: a float checkpoint would not deploy as trained.
    expect(result.bestStep).toBeGreaterThanOrEqual(40);
    const best = readTrainerState(new RunDir(straight).checkpoint('best').dir);
    expect(best.qatRanges).toHaveLength(4); // input, three dense layers
    const test = events.find((e) => e.type === 'test');
    expect(test?.type === 'test' && test.quantizedMetrics).toBeTruthy();

    const interrupted = path.join(root, 'interrupted');
    let steps = 0;
    const options = { run: run(), trainDir: interrupted, backend: 'cpu' as const, useWorker: false, cacheDir };
    const first = await train({
      ...options,
      onEvent: (e) => {
        if (e.type === 'step') steps = e.step;
      },
      shouldStop: () => steps >= 36,
    });
    expect(first.finalStep).toBe(36);
    await train(options);
    const [a, b] = [await lastWeights(straight), await lastWeights(interrupted)];
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));

    const quantizeOptions = quantizeOptionsFor(straight, cacheDir);
    const quantized = await quantizeTrainedRun(quantizeOptions);
    expect(quantized.kind).toBe('integer');
    if (quantized.kind !== 'integer') return;
    expect(quantized.quantized.report!.method).toBe('qat');
    expect(fs.readFileSync(path.join(quantized.outDir, 'weights.h'), 'utf8')).toMatch(
      /ranges learned by quantisation-aware training/,
    );
    expect(quantized.quantized.report!.points.map((p) => p.frac)).toEqual(
      (best.qatRanges as number[]).map((r, i) => (i === 0 ? Math.max(0, fracBitsFor(r)) : fracBitsFor(r))),
    );
    const evaluation = await evaluateRun({ trainDir: straight, run: run(), set: 'testing', kinds: ['int8'], cacheDir });
    expect(test?.type === 'test' && test.quantizedMetrics!.accuracy).toBe(evaluation.int8!.accuracy);

    await expect(quantizeTrainedRun({ ...quantizeOptions, method: 'qat', target: 'cmsis-nn-s8' })).rejects.toThrow(
      /learned cmsis-nn-q7's ranges; quantise with --target cmsis-nn-q7, or calibrate by max, percentile or search$/,
    );
  });

  it('for cmsis-nn-s8: validates the s8 network, resumes to the same weights, and quantises with its ranges', async () => {
    const straight = path.join(root, 's8-straight');
    const cacheDir = path.join(root, 'cache');
    const events: TrainEvent[] = [];
    const result = await train({
      run: run('cmsis-nn-s8'),
      trainDir: straight,
      backend: 'cpu',
      useWorker: false,
      cacheDir,
      onEvent: (e) => events.push(e),
    });
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e.step, e.quantized] : []));
    expect(evals).toEqual([10, false, 20, false, 30, false, 40, true, 50, true]);
    expect(result.bestStep).toBeGreaterThanOrEqual(40);
    const best = readTrainerState(new RunDir(straight).checkpoint('best').dir);
    expect(best.qatTarget).toBe('cmsis-nn-s8');
    const ranges = best.qatRanges as ActivationRange[];
    expect(ranges).toHaveLength(4);
    for (const range of ranges) expect(range.min).toBeLessThanOrEqual(0);
    // The input's features are mostly negative, the dense outputs both signs: asymmetric ranges.
    expect(ranges[0]!.min).toBeLessThan(-ranges[0]!.max);
    const test = events.find((e) => e.type === 'test');
    expect(test?.type === 'test' && test.quantizedMetrics).toBeTruthy();

    const interrupted = path.join(root, 's8-interrupted');
    let steps = 0;
    const options = {
      run: run('cmsis-nn-s8'),
      trainDir: interrupted,
      backend: 'cpu' as const,
      useWorker: false,
      cacheDir,
    };
    await train({ ...options, onEvent: (e) => e.type === 'step' && (steps = e.step), shouldStop: () => steps >= 36 });
    await train(options);
    const [a, b] = [await lastWeights(straight), await lastWeights(interrupted)];
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));

    const quantizeOptions = quantizeOptionsFor(straight, cacheDir, 'cmsis-nn-s8');
    const quantized = await quantizeTrainedRun(quantizeOptions);
    expect(quantized.kind).toBe('s8');
    if (quantized.kind !== 's8') return;
    const report = quantized.quantized.report;
    expect(report.method).toBe('qat');
    expect(report.points.map((p) => [p.chosenMin, p.chosenMax])).toEqual(ranges.map((r) => [r.min, r.max]));
    expect(fs.readFileSync(path.join(quantized.outDir, 'weights.h'), 'utf8')).toMatch(
      /ranges learned by quantisation-aware training/,
    );
    const evaluation = await evaluateRun({ trainDir: straight, run: run(), set: 'testing', kinds: ['int8'], cacheDir });
    expect(test?.type === 'test' && test.quantizedMetrics!.accuracy).toBe(evaluation.int8!.accuracy);

    // Calibration stays available to compare; the q7 target refuses the s8 ranges.
    const calibrated = await quantizeTrainedRun({ ...quantizeOptions, method: 'max' });
    expect(calibrated.kind === 's8' && calibrated.quantized.report.method).toBe('max');
    await expect(quantizeTrainedRun({ ...quantizeOptions, method: 'qat', target: 'cmsis-nn-q7' })).rejects.toThrow(
      /learned cmsis-nn-s8's ranges; quantise with --target cmsis-nn-s8/,
    );
  });

  it('on the command line: says when it starts, validates int8, keeps the setting on resume, and quantises with it', async () => {
    const trainDir = path.join(root, 'cli');
    const args = ['train', '--preset', 'dnn_s', '--data-dir', dataDir, '--wanted-words', 'yes,no,up'];
    const schedule = ['--how-many-training-steps', '6', '--learning-rate', '0.001', '--eval-step-interval', '3'];
    const trained = await runKws(registerTrainCommand, [
      ...args,
      ...schedule,
      '--batch-size',
      '8',
      '--quantize-aware',
      '--target-false-alarms-per-hour',
      '0',
      '--train-dir',
      trainDir,
    ]);
    expect(trained.error).toBeUndefined();
    // The last fifth of a one-phase schedule: steps 5 and 6.
    expect(trained.stderr).toMatch(/quantisation-aware for cmsis-nn-q7 \(one thread\) from step 5/);
    expect(trained.stderr).toMatch(/step 3: .* validation \d/);
    expect(trained.stderr).toMatch(/step 6: .* validation \(int8\) /);
    expect(trained.stdout).toMatch(/test accuracy of the int8 network \(its learned ranges\): \d/);
    expect(JSON.parse(fs.readFileSync(path.join(trainDir, 'config.json'), 'utf8')).train.quantizeAwareFrom).toBe(5);

    // The same command without the flag is the same run (nothing left to train), not a different one.
    const again = await runKws(registerTrainCommand, [...args, '--train-dir', trainDir]);
    expect(again.error).toBeUndefined();

    const quantized = await runKws(registerQuantizeCommand, [
      'quantize',
      '--train-dir',
      trainDir,
      '--calibration-size',
      '20',
      '--target-false-alarms-per-hour',
      '0',
    ]);
    expect(quantized.error).toBeUndefined();
    expect(quantized.stdout).toMatch(/ranges by quantisation-aware training \(learned ranges\)/);
  });

  it('on the command line for cmsis-nn-s8: trains for it, keeps it on resume, quantises for it, and says what it refuses', async () => {
    const trainDir = path.join(root, 'cli-s8');
    const args = ['train', '--preset', 'dnn_s', '--data-dir', dataDir, '--wanted-words', 'yes,no,up'];
    const schedule = ['--how-many-training-steps', '6', '--learning-rate', '0.001', '--eval-step-interval', '3'];
    const quiet = ['--target-false-alarms-per-hour', '0'];
    const withoutQat = await runKws(registerTrainCommand, [...args, ...schedule, '--target', 'cmsis-nn-s8']);
    expect(String(withoutQat.error)).toMatch(/--target applies with --quantize-aware/);

    const flags = [...schedule, '--batch-size', '8', '--quantize-aware', '--target', 'cmsis-nn-s8', ...quiet];
    const trained = await runKws(registerTrainCommand, [...args, ...flags, '--train-dir', trainDir]);
    expect(trained.error).toBeUndefined();
    expect(trained.stderr).toMatch(/quantisation-aware for cmsis-nn-s8 \(one thread\) from step 5/);
    expect(trained.stderr).toMatch(/step 6: .* validation \(int8\) /);
    expect(trained.stdout).toMatch(/test accuracy of the int8 network \(its learned ranges\): \d/);
    expect(JSON.parse(fs.readFileSync(path.join(trainDir, 'config.json'), 'utf8')).train.quantizeAwareTarget).toBe(
      'cmsis-nn-s8',
    );
    // Resuming without the flags is the same run; asking for the other target is not.
    expect((await runKws(registerTrainCommand, [...args, '--train-dir', trainDir])).error).toBeUndefined();
    const otherTarget = await runKws(registerTrainCommand, [
      ...args,
      '--quantize-aware',
      '--target',
      'cmsis-nn-q7',
      '--train-dir',
      trainDir,
    ]);
    expect(String(otherTarget.error)).toMatch(/holds another run \(--target cmsis-nn-s8 \(now cmsis-nn-q7\)\)/);

    const quantize = ['quantize', '--train-dir', trainDir, '--calibration-size', '20', ...quiet];
    const quantized = await runKws(registerQuantizeCommand, quantize);
    expect(quantized.error).toBeUndefined();
    expect(quantized.stdout).toMatch(
      /^Quantised dnn for cmsis-nn-s8 .*ranges by quantisation-aware training \(learned ranges\)/,
    );
    const refused = await runKws(registerQuantizeCommand, [
      ...quantize,
      '--target',
      'cmsis-nn-q7',
      '--calibration',
      'qat',
    ]);
    expect(String(refused.error)).toMatch(/learned cmsis-nn-s8's ranges; quantise with --target cmsis-nn-s8/);
  });
});
