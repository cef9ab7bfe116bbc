import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerDetectCommand } from '../../src/cli/commands/detect.js';
import { SWEEP_THRESHOLDS } from '../../src/detect/evaluation.js';
import { loadRunOperatingPoint } from '../../src/detect/operating-point-store.js';
import { tuneRunOperatingPoint } from '../../src/detect/run-operating-point.js';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { RunDir } from '../../src/run/layout.js';
import { train } from '../../src/train/trainer.js';
import { generatedRunConfig, generateTrainingDataset } from '../helpers/generated-run.js';
import { runKws } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';

function run(args: string[]) {
  return runKws(registerDetectCommand, ['detect', ...args]);
}

const dataDir = tempDir('detect-data');
const trainDir = tempDir('detect-run');
const work = tempDir('detect-cli');

beforeAll(async () => {
  generateTrainingDataset(dataDir);
  // The trainer tests' small DNN, wider and on the default 20 ms frames.
  await train({
    run: {
      ...generatedRunConfig(dataDir, {
        howManyTrainingSteps: [80, 40],
        learningRate: [0.003, 0.001],
        batchSize: 32,
        evalStepInterval: 40,
      }),
      modelSizeInfo: [64, 64],
      feature: DEFAULT_FEATURE_CONFIG,
    },
    trainDir,
    backend: 'cpu',
    useWorker: false,
    cacheDir: path.join(trainDir, 'cache'),
  });
});

describe('kws detect (CLI, with a model trained in the test)', () => {
  it('builds a stream, detects keywords in it and scores them: JSON lines contract, sweep and report', async () => {
    const stream = path.join(work, 'stream.wav');
    const made = await run([
      '--make-stream',
      stream,
      '--data-dir',
      dataDir,
      '--duration-s',
      '80',
      '--split',
      'all',
      '--gap-s',
      '2',
      '--seed',
      '3',
    ]);
    expect(made.error).toBeUndefined();
    expect(made.stdout).toMatch(
      /^wrote .*stream\.wav \(80\.0 s, \d+ clips: cat \d+, no \d+, up \d+, yes \d+; background: .*_background_noise_ × 0\.1\)/,
    );
    expect(fs.existsSync(path.join(work, 'stream.csv'))).toBe(true);

    const report = path.join(work, 'report');
    const args = [
      '--train-dir',
      trainDir,
      stream,
      '--json',
      '--labels',
      path.join(work, 'stream.csv'),
      '--threshold',
      '0.6',
      '--average-window-ms',
      '300',
      '--report',
      report,
    ];
    const { stdout, stderr, error } = await run(args);
    expect(error).toBeUndefined();
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const detections = lines.slice(0, -1);
    expect(detections.length).toBeGreaterThan(3);
    for (const d of detections) {
      expect(Object.keys(d)).toEqual(['time_s', 'label', 'score']);
      expect(['yes', 'no', 'up']).toContain(d.label);
      expect(d.score as number).toBeGreaterThanOrEqual(0.6);
      expect(d.time_s as number).toBeLessThanOrEqual(80);
    }
    const times = detections.map((d) => d.time_s as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const summary = lines.at(-1)!.summary as {
      audioSeconds: number;
      detections: number;
      realTimeFactor: number;
      evaluation: { atThreshold: { recall: number; hits: number }; sweep: Array<{ threshold: number }> };
    };
    expect(summary.audioSeconds).toBe(80);
    expect(summary.detections).toBe(detections.length);
    expect(summary.realTimeFactor).toBeGreaterThan(1);
    expect(summary.evaluation.sweep.map((p) => p.threshold)).toEqual(SWEEP_THRESHOLDS);
    // A tiny model on generated words: well above nothing.
    expect(summary.evaluation.atThreshold.recall).toBeGreaterThan(0.4);
    for (const name of ['evaluation.json', 'sweep.svg', 'index.html'])
      expect(fs.existsSync(path.join(report, name))).toBe(true);
    expect(stderr).toContain('sweep.svg');

    const text = await run([
      '--train-dir',
      trainDir,
      stream,
      '--labels',
      path.join(work, 'stream.csv'),
      '--threshold',
      '0.6',
      '--average-window-ms',
      '300',
    ]);
    expect(text.error).toBeUndefined();
    expect(text.stdout).toMatch(
      /stream\.wav: 80\.0 s of 16-bit PCM audio, 3951 windows, \d+ detections?; .* \(real-time factor [\d.]+×\)/,
    );
    expect(text.stdout).toMatch(/at threshold 0\.6: recall [\d.]+% \(\d+ of \d+\)/);
    expect(text.stdout).toContain('0.90  recall');
  });

  it("uses the run's stored operating point, says so, lets flags override it and ignores a stale one", async () => {
    const stream = path.join(work, 'point.wav');
    await run(['--make-stream', stream, '--data-dir', dataDir, '--duration-s', '20', '--split', 'all', '--seed', '5']);
    const defaults = await run(['--train-dir', trainDir, stream, '--json']);
    expect(defaults.stderr).toMatch(
      /operating point: the defaults, threshold 0\.9, average 1000 ms, .*no float operating point stored/,
    );

    const point = await tuneRunOperatingPoint(trainDir, { kind: 'float', targetFalseAlarmsPerHour: 50 });
    expect(point.streamSeconds).toBeGreaterThanOrEqual(30);
    expect(point.keywordEvents).toBeGreaterThan(0);
    const stored = JSON.parse(fs.readFileSync(new RunDir(trainDir).operatingPoint, 'utf8')) as Record<string, unknown>;
    expect(stored.float).toEqual(JSON.parse(JSON.stringify(point)));
    expect(loadRunOperatingPoint(trainDir, 'float')).toEqual({ status: 'current', point });
    expect(loadRunOperatingPoint(trainDir, 'int8').status).toBe('none');

    const { threshold, averageWindowMs } = point.settings;
    const used = await run(['--train-dir', trainDir, stream, '--json']);
    expect(used.stderr).toContain(
      `the run's float operating point chosen on ${point.streamSeconds} s of validation clips`,
    );
    expect(used.stderr).toContain(`threshold ${threshold}, average ${averageWindowMs} ms`);
    for (const line of used.stdout.trim().split('\n').slice(0, -1))
      expect((JSON.parse(line) as { score: number }).score).toBeGreaterThanOrEqual(threshold);
    const typed = await run(['--train-dir', trainDir, stream, '--json', '--threshold', '0.55']);
    expect(typed.stderr).toContain(`threshold 0.55, average ${averageWindowMs} ms`);
    expect(typed.stderr).toContain('; typed: --threshold');

    // A point chosen with other weights (the run trained further since) is not used.
    const file = new RunDir(trainDir).operatingPoint;
    fs.writeFileSync(file, JSON.stringify({ float: { ...point, modelSha256: '0'.repeat(64) } }));
    const stale = await run(['--train-dir', trainDir, stream, '--json']);
    expect(stale.stderr).toMatch(/the defaults, .*chosen for another checkpoint/);
    fs.rmSync(file);
  });

  it('stops with a usage error naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--train-dir', trainDir], /give WAV files to scan/],
      [['--train-dir', trainDir, 'x.wav', '--report', work], /--report needs --labels/],
      [['--train-dir', trainDir, 'a.wav', 'b.wav', '--labels', 'x.csv'], /--labels scores one stream/],
      [['--make-stream', path.join(work, 'x.wav')], /--make-stream needs --data-dir/],
    ];
    for (const [args, message] of cases) {
      const { error } = await run(args);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
    }
    const stream = path.join(work, 'short.wav');
    await run(['--make-stream', stream, '--data-dir', dataDir, '--duration-s', '3', '--split', 'all']);
    const { error } = await run(['--train-dir', trainDir, stream, '--hop-ms', '30']);
    expect((error as Error).message).toMatch(/^--hop-ms 30 is not a multiple of the model's feature stride \(20 ms/);
  });
});
