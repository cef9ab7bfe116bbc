/** `kws quantize` on a generated dataset and a saved (random) ds_cnn run. */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerQuantizeCommand } from '../../src/cli/commands/quantize.js';
import { generateSyntheticDataset } from '../../src/data/synthetic.js';
import { thresholdPpm, windowsAveraged } from '../../src/detect/posteriors.js';
import { loadRunOperatingPoint } from '../../src/detect/operating-point-store.js';
import { UsageError } from '../../src/errors.js';
import { openPointCostNetwork } from '../../src/eval/by-point.js';
import type { QuantizedNetwork } from '../../src/quant/ir.js';
import { loadQuantizedNetwork } from '../../src/quant/store.js';
import { loadRunConfig, saveRunConfig } from '../../src/run/config.js';
import { RunDir } from '../../src/run/layout.js';
import { writeCheckpoint } from '../helpers/checkpoint.js';
import { kwsStdout, runKws } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';
import { LABELS, SMALL_FEATURES, SMALL_SIZE_INFO, randomizedModel } from './models.js';

const root = tempDir('quantize-cli');
const dataDir = path.join(root, 'data');
const trainDir = path.join(root, 'run');
const gruDir = path.join(root, 'gru-run');
const GRU_SIZE = [1, 8];

beforeAll(async () => {
  // Importing the command registers the wasm backend; the fixture model is built on cpu.
  await tf.setBackend('cpu');
  generateSyntheticDataset({
    dir: dataDir,
    words: ['yes', 'no', 'cat'],
    speakers: 4,
    clipsPerSpeaker: 2,
    noiseSeconds: 1,
  });
  const data = {
    dataDir,
    wantedWords: ['yes', 'no'],
    split: 'all' as const,
    splitSalt: '',
    validationPercentage: 10,
    testingPercentage: 10,
    silencePercentage: 10,
    unknownPercentage: 50,
  };
  for (const [dir, architecture, modelSizeInfo] of [
    [trainDir, 'ds_cnn', SMALL_SIZE_INFO.ds_cnn],
    [gruDir, 'gru', GRU_SIZE],
  ] as const) {
    saveRunConfig(new RunDir(dir), {
      version: 1,
      architecture,
      modelSizeInfo: [...modelSizeInfo],
      feature: SMALL_FEATURES,
      data,
      augment: { timeShiftMs: 0, backgroundFrequency: 0, backgroundVolume: 0 },
      train: { howManyTrainingSteps: [1], learningRate: [0.001], batchSize: 4, evalStepInterval: 1 },
      seed: 1,
      labels: LABELS,
    });
    const model = randomizedModel(architecture, [...modelSizeInfo], 3);
    await writeCheckpoint(dir, 'best', model);
    model.dispose();
  }
});

async function run(...args: string[]): Promise<string> {
  return runIn(trainDir, ...args);
}

function runIn(dir: string, ...args: string[]) {
  return kwsStdout(registerQuantizeCommand, [
    'quantize',
    '--train-dir',
    dir,
    '--calibration-set',
    'testing',
    '--cache-dir',
    path.join(root, 'cache'),
    // Choosing the operating point has its own test; a later flag overrides this one.
    '--target-false-alarms-per-hour',
    '0',
    ...args,
  ]);
}

describe('kws quantize', () => {
  it('writes the C files and the integer network, and prints ranges, accuracies and the ARM act_max list', async () => {
    const out = await run();
    expect(out).toMatch(
      /Quantised ds_cnn for cmsis-nn-q7 \(best checkpoint, step 1\) on \d+ testing clips; ranges by search\./,
    );
    expect(out).toMatch(
      /Accuracy on those clips: float [\d.]+%, fake-quant [\d.]+%, integer \(bit-exact CMSIS-NN\) [\d.]+%/,
    );
    // ds_cnn with 3 layers: input, CONV1, CONV2_DS/PW, CONV3_DS/PW, POOL, FINAL_FC.
    expect(out).toMatch(/ARM equivalent: --act_max( \d+(\.\d+)?){8}\n/);
    for (const file of [
      'weights.h',
      'ds_cnn.h',
      'ds_cnn.c',
      'kws_features.h',
      'kws_features.c',
      'kws_stream.h',
      'kws_stream.c',
      'quant.json',
    ])
      expect(fs.existsSync(path.join(trainDir, 'cmsis', file))).toBe(true);
    const loaded = loadQuantizedNetwork(new RunDir(trainDir));
    const { source } = loaded;
    const network = loaded.network as QuantizedNetwork;
    expect(source).toMatchObject({ checkpoint: 'best', step: 1, calibration: { method: 'search', set: 'testing' } });
    expect(network.labels).toEqual(LABELS);
    const quantJson = JSON.parse(fs.readFileSync(path.join(trainDir, 'cmsis', 'quant.json'), 'utf8')) as {
      inputFrac: number;
      source: unknown;
      calibration: { method: string };
    };
    expect(quantJson.inputFrac).toBe(network.inputFrac);
    expect(quantJson.source).toEqual(source);
    // Every generated file opens with where it came from.
    for (const file of ['weights.h', 'ds_cnn.h', 'ds_cnn.c']) {
      const opening = fs
        .readFileSync(path.join(trainDir, 'cmsis', file), 'utf8')
        .split('\n')
        .slice(0, 2)
        .join('\n');
      expect(opening).toContain(
        `From: cmsis-nn-q7, best checkpoint, step 1 (weights sha256 ${source!.weightsSha256.slice(0, 16)})`,
      );
    }
    expect(quantJson.calibration.method).toBe('search');
  });

  it("takes ARM's --act_max list (underscore spelling is the CLI's job; here the kebab form)", async () => {
    const out = await run(
      '--act-max',
      '32',
      '32',
      '32',
      '32',
      '32',
      '32',
      '16',
      '16',
      '--out-dir',
      path.join(root, 'c'),
      '--json',
    );
    const json = JSON.parse(out) as { report: { method: string; points: Array<{ frac: number }> } };
    expect(json.report.method).toBe('act-max');
    expect(json.report.points[0]!.frac).toBe(2);
    expect(fs.existsSync(path.join(root, 'c', 'ds_cnn.c'))).toBe(true);
  });

  it('--target cmsis-nn-s8: per-channel int8 for the current CMSIS-NN, recorded in the run', async () => {
    const outDir = path.join(root, 'c-s8');
    const out = await run('--target', 'cmsis-nn-s8', '--calibration', 'max', '--out-dir', outDir);
    expect(out).toMatch(
      /Quantised ds_cnn for cmsis-nn-s8 \(best checkpoint, step 1\) on \d+ testing clips; ranges by max; weights per output channel\./,
    );
    expect(out).toMatch(/integer \(bit-exact CMSIS-NN s8\) [\d.]+%/);
    const { network, source } = loadQuantizedNetwork(new RunDir(trainDir));
    expect(source?.target).toBe('cmsis-nn-s8');
    expect('target' in network && network.target).toBe('cmsis-nn-s8');
    expect(fs.readFileSync(path.join(outDir, 'ds_cnn.c'), 'utf8')).toContain('arm_convolve_wrapper_s8');
    expect(() => openPointCostNetwork(trainDir, loadRunConfig(new RunDir(trainDir)))).toThrow(
      /^--by-point covers the cmsis-nn-q7 networks of dnn, cnn and ds_cnn; this run's network is cmsis-nn-s8$/,
    );
    const header = fs.readFileSync(path.join(outDir, 'ds_cnn.h'), 'utf8');
    expect(header).toMatch(/#define KWS_INPUT_ZERO_POINT -?\d+/);
    // The front end quantises with the s8 input's scale and zero point.
    expect(fs.readFileSync(path.join(outDir, 'kws_features.h'), 'utf8')).toMatch(
      /#define KWS_FEATURES_ZERO_POINT -?\d+/,
    );
    await expect(run('--target', 'cmsis-nn-s8', '--act-max', '32')).rejects.toThrow(
      /--act-max is the q7 target's power-of-two ranges/,
    );
    await expect(runIn(gruDir, '--target', 'cmsis-nn-s8')).rejects.toThrow(
      /--target cmsis-nn-s8 supports dnn, cnn, ds_cnn; not gru/,
    );
    // Back to the default target for the other tests.
    await run('--calibration', 'max');
  });

  it("chooses the int8 network's operating point on validation clips and bakes it into kws_stream.h", async () => {
    // A copy of the run under a hash split, so that it has validation clips.
    const pointDir = path.join(root, 'point-run');
    fs.cpSync(trainDir, pointDir, { recursive: true });
    const config = loadRunConfig(new RunDir(pointDir));
    saveRunConfig(new RunDir(pointDir), {
      ...config,
      data: { ...config.data, split: 'hash', validationPercentage: 60, testingPercentage: 20 },
    });
    const outDir = path.join(pointDir, 'cmsis');
    const calibration = ['--calibration-set', 'validation', '--calibration'];
    await runIn(pointDir, ...calibration, 'max', '--target-false-alarms-per-hour', '2');
    const loaded = loadRunOperatingPoint(pointDir, 'int8');
    if (loaded.status !== 'current') throw new Error(loaded.reason);
    const { settings, targetFalseAlarmsPerHour } = loaded.point;
    expect(targetFalseAlarmsPerHour).toBe(2);
    const header = fs.readFileSync(path.join(outDir, 'kws_stream.h'), 'utf8');
    expect(header).toContain(`#define KWS_THRESHOLD_PPM ${thresholdPpm(settings.threshold)} `);
    expect(header).toContain(
      `#define KWS_AVERAGE_WINDOWS ${windowsAveraged(settings.averageWindowMs, settings.hopMs)} `,
    );
    expect(loaded.point.integerScores).toBe('q15');
    // A point an older kws chose on q7 scores (no integerScores) is not used for the Q15 scores.
    const pointFile = new RunDir(pointDir).operatingPoint;
    const file = fs.readFileSync(pointFile, 'utf8');
    const { integerScores: _dropped, ...older } = loaded.point;
    fs.writeFileSync(pointFile, JSON.stringify({ ...JSON.parse(file), int8: older }));
    expect(loadRunOperatingPoint(pointDir, 'int8')).toEqual({
      status: 'stale',
      reason: 'the int8 operating point was chosen on the q7 scores of an older kws; kws quantize chooses it again',
    });
    fs.writeFileSync(pointFile, file);
    // Quantising again makes another network: the stored point no longer applies to it.
    await runIn(pointDir, ...calibration, 'percentile');
    expect(loadRunOperatingPoint(pointDir, 'int8').status).toBe('stale');

    // A run without validation clips (--split all) still quantises, with the default point and a warning.
    const { stderr, error } = await runKws(registerQuantizeCommand, [
      'quantize',
      '--train-dir',
      trainDir,
      '--calibration-set',
      'testing',
      '--calibration',
      'max',
      '--out-dir',
      path.join(root, 'c-no-point'),
    ]);
    expect(error).toBeUndefined();
    expect(stderr).toContain('kws: warning: no int8 operating point chosen (the run was trained with --split all');
    expect(fs.readFileSync(path.join(root, 'c-no-point', 'kws_stream.h'), 'utf8')).toContain(
      '#define KWS_THRESHOLD_PPM 900000 ',
    );
  });

  it('quantises a recurrent model to the integer pipeline: C, q15 noted, network for --quantized', async () => {
    const out = await runIn(gruDir, '--calibration', 'max');
    expect(out).toMatch(
      /Quantised gru for cmsis-nn-q7 \(best checkpoint, step 1\) on \d+ testing clips; ranges by max; q15 inside the cells\./,
    );
    expect(out).toMatch(/GRU_1_GATES\s+q15\s/);
    expect(out).toMatch(/integer \(bit-exact CMSIS-NN q7\/q15\) [\d.]+%/);
    const cDir = path.join(gruDir, 'cmsis');
    expect(fs.readFileSync(path.join(cDir, 'weights.h'), 'utf8')).toContain('#define GRU_1_WT {');
    expect(fs.readFileSync(path.join(cDir, 'gru.c'), 'utf8')).toContain(
      'void kws_run(const q7_t *input, q7_t *output) {',
    );
    // The header says where and why it uses q15 (a comment wrapped over lines).
    const header = fs.readFileSync(path.join(cDir, 'gru.h'), 'utf8').replace(/\n \* /g, ' ');
    expect(header).toMatch(/Precision: .*8 bits lose too much/);
    expect(JSON.parse(fs.readFileSync(path.join(cDir, 'quant.json'), 'utf8')).q15).toMatch(/8 bits lose too much/);
    const { network, source } = loadQuantizedNetwork(new RunDir(gruDir));
    expect(source?.target).toBe('cmsis-nn-q7');
    expect(network.architecture).toBe('gru');
    expect('cells' in network && network.cells.map((cell) => cell.kind)).toEqual(['gru']);
    expect(() => openPointCostNetwork(gruDir, loadRunConfig(new RunDir(gruDir)))).toThrow(
      /network is the recurrent gru$/,
    );
    await expect(runIn(gruDir, '--act-max', '32', '0')).rejects.toThrow(
      /--act-max applies to dnn, cnn, ds_cnn; gru has q15 points inside its cells: use --calibration/,
    );
  });

  it('rejects an --act-max list of the wrong length, naming the points', async () => {
    await expect(run('--act-max', '32', '0')).rejects.toThrow(UsageError);
    await expect(run('--act-max', '32', '0')).rejects.toThrow(
      /--act-max needs 8 values for this model \(input, CONV1, CONV2_DS/,
    );
  });
});
