/**
 * The traps a user falls into with a run directory, each of which used to give a wrong answer
 * quietly: a quantised network evaluated after its checkpoint moved on, a second model trained
 * into the folder of the first, `kws detect` with default flags on a 40 ms-stride model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../src/audio/encode.js';
import { registerDetectCommand } from '../../src/cli/commands/detect.js';
import { registerEvalCommand } from '../../src/cli/commands/eval.js';
import { registerTrainCommand } from '../../src/cli/commands/train.js';
import { generateSyntheticDataset } from '../../src/data/synthetic.js';
import { KwsError, UsageError } from '../../src/errors.js';
import { openClassifier } from '../../src/eval/classifier.js';
import { quantizeTrainedRun } from '../../src/quant/run.js';
import { Random } from '../../src/random.js';
import { train } from '../../src/train/trainer.js';
import { generatedRunConfig } from '../helpers/generated-run.js';
import { runKws } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir('traps');
const dataDir = path.join(root, 'data');

beforeAll(() => {
  generateSyntheticDataset({
    dir: dataDir,
    words: ['yes', 'no', 'up', 'cat'],
    speakers: 8,
    clipsPerSpeaker: 2,
    seed: 4,
  });
});

describe('a quantised network whose checkpoint moved on', () => {
  const trainDir = path.join(root, 'retrained');
  const run = generatedRunConfig(dataDir, {
    howManyTrainingSteps: [20],
    learningRate: [0.003],
    batchSize: 16,
    evalStepInterval: 5,
  });
  const common = { run, trainDir, backend: 'cpu' as const, useWorker: false, cacheDir: path.join(root, 'cache') };

  it('is refused by --quantized, naming the command to re-run', async () => {
    let steps = 0;
    const stopped = await train({ ...common, shouldStop: () => ++steps >= 10 });
    expect(stopped.completed).toBe(false);
    await quantizeTrainedRun({
      trainDir,
      run,
      data: run.data,
      checkpoint: 'last',
      calibrationSet: 'validation',
      calibrationSize: 0,
      method: 'max',
      cacheDir: common.cacheDir,
      seed: 1,
    });
    // Current: the integer network opens, as the quantisation of the last checkpoint.
    const current = await openClassifier(trainDir, { quantized: true });
    expect(current.checkpoint).toBe('last');
    // --checkpoint best --quantized never evaluates the quantisation of last.
    await expect(openClassifier(trainDir, { quantized: true, checkpoint: 'best' })).rejects.toThrow(
      `the quantised network was made from the last checkpoint, not best; run 'kws quantize --train-dir ${trainDir}' first`,
    );

    // The same command resumes the run (identical settings) and trains it to the end.
    const resumed = await train(common);
    expect(resumed.finalStep).toBe(20);
    const refusal =
      `the quantised network was made from the last checkpoint at step 10, which has changed since (now step 20); ` +
      `run 'kws quantize --train-dir ${trainDir} --checkpoint last' again`;
    await expect(openClassifier(trainDir, { quantized: true })).rejects.toThrow(refusal);
    const cli = await runKws(registerEvalCommand, ['eval', '--train-dir', trainDir, '--quantized']);
    expect(cli.error).toBeInstanceOf(KwsError);
    expect((cli.error as Error).message).toBe(refusal);
    // The float model is not affected.
    await expect(openClassifier(trainDir, { backend: 'cpu' })).resolves.toMatchObject({ checkpoint: 'best' });
  });
});

describe('kws train into a folder that holds another run', () => {
  const cwd = process.cwd();
  const work = path.join(root, 'cli');
  beforeAll(() => {
    fs.mkdirSync(work, { recursive: true });
    process.chdir(work);
  });
  afterAll(() => process.chdir(cwd));
  const schedule = [
    '--how-many-training-steps',
    '2',
    '--learning-rate',
    '0.001',
    '--eval-step-interval',
    '2',
    '--batch-size',
    '8',
  ];
  const trainArgs = (...args: string[]) => [
    'train',
    '--data-dir',
    dataDir,
    '--wanted-words',
    'yes,no,up',
    ...schedule,
    ...args,
  ];

  it('names the default folder after the preset, so two presets never share one', async () => {
    const dnn = await runKws(registerTrainCommand, trainArgs('--preset', 'dnn_s'));
    expect(dnn.error).toBeUndefined();
    expect(fs.existsSync(path.join(work, 'runs', 'dnn_s', 'config.json'))).toBe(true);
  });

  it('refuses a second preset in the same folder, listing the differences and the ways out', async () => {
    const dir = path.join(work, 'runs', 'dnn_s');
    const second = await runKws(registerTrainCommand, trainArgs('--preset', 'ds_cnn_s', '--train-dir', dir));
    expect(second.error).toBeInstanceOf(UsageError);
    const message = (second.error as Error).message;
    expect(message).toContain(`${dir} holds another run (--model-architecture dnn (now ds_cnn), --model-size-info`);
    expect(message).toContain('--window-stride-ms 40 (now 20)');
    expect(message).toContain('train into another --train-dir, or add --overwrite to start this one over');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).architecture).toBe('dnn');
    // Any other setting that shapes the model or the data is a different run too.
    const seed = await runKws(registerTrainCommand, trainArgs('--preset', 'dnn_s', '--seed', '7'));
    expect((seed.error as Error).message).toMatch(/holds another run \(--seed 59185 \(now 7\)\)/);
  });

  it('resumes the same run, and starts over with --overwrite', async () => {
    const again = await runKws(registerTrainCommand, trainArgs('--preset', 'dnn_s'));
    expect(again.error).toBeUndefined();
    const dir = path.join(work, 'runs', 'dnn_s');
    const over = await runKws(
      registerTrainCommand,
      trainArgs('--preset', 'ds_cnn_s', '--train-dir', dir, '--overwrite'),
    );
    expect(over.error).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).architecture).toBe('ds_cnn');
  });

  it('kws detect runs a 40 ms-stride model with no flag but --train-dir', async () => {
    const dnn = path.join(work, 'runs', 'dnn_s-detect');
    expect(
      (await runKws(registerTrainCommand, trainArgs('--preset', 'dnn_s', '--train-dir', dnn))).error,
    ).toBeUndefined();
    const random = new Random(5);
    const noise = Float32Array.from({ length: 3 * 16000 }, () => 0.01 * random.uniform(-1, 1));
    const wav = path.join(work, 'noise.wav');
    fs.writeFileSync(wav, encodeWav16(noise, 16000));
    const detected = await runKws(registerDetectCommand, ['detect', '--train-dir', dnn, wav]);
    expect(detected.error).toBeUndefined();
    // One-second windows every 40 ms over 3 s: 51 of them.
    expect(detected.stdout).toMatch(/noise\.wav: 3\.0 s of .* audio, 51 windows/);
  });
});
