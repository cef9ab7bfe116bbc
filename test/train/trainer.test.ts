import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFiles } from '../../src/models/io.js';
import { RunDir } from '../../src/run/layout.js';
import { readLog } from '../../src/run/log.js';
import { loadRunConfig, type RunConfig } from '../../src/run/config.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import { generatedRunConfig, generateTrainingDataset } from '../helpers/generated-run.js';
import { tempDir, testTempDir } from '../helpers/temp-dir.js';

const dataDir = tempDir('train-data');

beforeAll(() => {
  generateTrainingDataset(dataDir);
});

function runConfig(steps: number[], overrides: Partial<RunConfig> = {}): RunConfig {
  const train = {
    howManyTrainingSteps: steps,
    learningRate: steps.map((_, i) => 0.003 / (i + 1)),
    batchSize: 32,
    evalStepInterval: 10,
  };
  return { ...generatedRunConfig(dataDir, train), ...overrides };
}

const tempTrainDir = () => testTempDir('train-run');

async function finalWeights(trainDir: string): Promise<Float32Array[]> {
  const dir = new RunDir(trainDir);
  const model = await loadModelFiles(dir.checkpoint('last').dir, { labels: 5, from: 'the test' });
  const values = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return values;
}

describe('kws train (library)', () => {
  it('learns a generated dataset well above chance and writes config, log, checkpoints and test results', async () => {
    const trainDir = tempTrainDir();
    const events: TrainEvent[] = [];
    const result = await train({
      run: runConfig([60, 20]),
      trainDir,
      backend: 'cpu',
      useWorker: false,
      cacheDir: path.join(trainDir, 'cache'),
      onEvent: (e) => events.push(e),
    });
    expect(result.completed).toBe(true);
    expect(result.finalStep).toBe(80);
    // 5 classes (silence, unknown, yes, no, up): chance is about 20%.
    expect(result.bestValidationAccuracy!).toBeGreaterThan(0.5);
    expect(result.test!.accuracy).toBeGreaterThan(0.5);
    expect(loadRunConfig(new RunDir(trainDir)).architecture).toBe('dnn');
    const rows = readLog(new RunDir(trainDir));
    expect(rows.map((r) => r.step)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(rows[6]!.learningRate).toBeCloseTo(0.0015, 10);
    const testEvent = events.find((e) => e.type === 'test');
    expect(testEvent && testEvent.type === 'test' && testEvent.checkpoint).toBe('best');
    expect(fs.existsSync(path.join(trainDir, 'checkpoints', 'best', 'model.json'))).toBe(true);
    const report = JSON.parse(fs.readFileSync(path.join(trainDir, 'test-results.json'), 'utf8'));
    expect(report.step).toBe(result.bestStep);
    expect(report.confusion).toHaveLength(5);
  });

  it('fine-tuning from another run writes its own best checkpoint even when the inherited best is not beaten', async () => {
    const source = tempTrainDir();
    await train({
      run: runConfig([20]),
      trainDir: source,
      backend: 'cpu',
      useWorker: false,
      cacheDir: path.join(source, 'cache'),
    });
    // An inherited best no validation can beat.
    const stateFile = path.join(source, 'checkpoints', 'last', 'trainer-state.json');
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, bestValidationAccuracy: 1.01 }));

    const tuned = tempTrainDir();
    const result = await train({
      run: runConfig([20, 10]),
      trainDir: tuned,
      startCheckpoint: path.join(source, 'checkpoints', 'last'),
      backend: 'cpu',
      useWorker: false,
      cacheDir: path.join(tuned, 'cache'),
    });
    expect(result.bestStep).toBe(30);
    expect(result.bestValidationAccuracy!).toBeLessThanOrEqual(1);
    expect(fs.existsSync(path.join(tuned, 'checkpoints', 'best', 'model.json'))).toBe(true);
  });

  it('resumes from a stop to the same weights as an uninterrupted run', async () => {
    const run = runConfig([20, 10]);
    const straight = tempTrainDir();
    await train({ run, trainDir: straight, backend: 'cpu', useWorker: false, cacheDir: path.join(straight, 'cache') });

    const interrupted = tempTrainDir();
    let steps = 0;
    const first = await train({
      run,
      trainDir: interrupted,
      backend: 'cpu',
      useWorker: false,
      cacheDir: path.join(interrupted, 'cache'),
      onEvent: (e) => {
        if (e.type === 'step') steps = e.step;
      },
      shouldStop: () => steps >= 13,
    });
    expect(first.completed).toBe(false);
    expect(first.finalStep).toBe(13);
    const second = await train({
      run,
      trainDir: interrupted,
      backend: 'cpu',
      useWorker: false,
      cacheDir: path.join(interrupted, 'cache'),
    });
    expect(second.completed).toBe(true);
    expect(second.finalStep).toBe(30);

    const a = await finalWeights(straight);
    const b = await finalWeights(interrupted);
    expect(b.length).toBe(a.length);
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));
    expect(readLog(new RunDir(interrupted)).map((r) => r.step)).toEqual([10, 13, 20, 30]);
  });

  it('with --train-workers 2 trains, records the setting, and resumes to the same weights as an uninterrupted run', async () => {
    const base = runConfig([12, 6]);
    const run = { ...base, train: { ...base.train, trainWorkers: 2 } };
    const straight = tempTrainDir();
    const events: TrainEvent[] = [];
    const result = await train({
      run,
      trainDir: straight,
      backend: 'cpu',
      useWorker: false,
      cacheDir: path.join(straight, 'cache'),
      onEvent: (e) => events.push(e),
    });
    expect(result.completed).toBe(true);
    expect(loadRunConfig(new RunDir(straight)).train.trainWorkers).toBe(2);
    expect(events.filter((e) => e.type === 'step').every((e) => e.type === 'step' && Number.isFinite(e.loss))).toBe(
      true,
    );

    const interrupted = tempTrainDir();
    let steps = 0;
    const options = {
      run,
      trainDir: interrupted,
      backend: 'cpu' as const,
      useWorker: false,
      cacheDir: path.join(interrupted, 'cache'),
    };
    await train({
      ...options,
      onEvent: (e) => void (e.type === 'step' && (steps = e.step)),
      shouldStop: () => steps >= 7,
    });
    expect((await train(options)).finalStep).toBe(18);
    const a = await finalWeights(straight);
    const b = await finalWeights(interrupted);
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));
  });

  // On wasm a DS-CNN trains through the training plan (src/backend/plan) and FusedAdam.
  it.each([1, 2])(
    'on wasm, a DS-CNN with --train-workers %i resumes to the same weights as an uninterrupted run',
    async (trainWorkers) => {
      const base = runConfig([8, 4]);
      const run: RunConfig = {
        ...base,
        architecture: 'ds_cnn',
        modelSizeInfo: [2, 8, 5, 3, 2, 2, 8, 3, 3, 1, 1],
        train: { ...base.train, trainWorkers },
      };
      const options = (trainDir: string) => ({
        run,
        trainDir,
        backend: 'wasm' as const,
        useWorker: false,
        cacheDir: path.join(trainDir, 'cache'),
      });
      const straight = tempTrainDir();
      expect((await train(options(straight))).completed).toBe(true);
      const interrupted = tempTrainDir();
      let steps = 0;
      await train({
        ...options(interrupted),
        onEvent: (e) => void (e.type === 'step' && (steps = e.step)),
        shouldStop: () => steps >= 5,
      });
      expect((await train(options(interrupted))).finalStep).toBe(12);
      const a = await finalWeights(straight);
      const b = await finalWeights(interrupted);
      a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));
    },
  );

  it('rejects more than two training workers with a clear message', async () => {
    const base = runConfig([2]);
    await expect(
      train({
        run: { ...base, train: { ...base.train, trainWorkers: 3 } },
        trainDir: tempTrainDir(),
        backend: 'cpu',
        useWorker: false,
      }),
    ).rejects.toThrow('--train-workers must be 1 or 2 (got 3)');
  });
});
