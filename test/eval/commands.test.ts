/**
 * `kws eval` and `kws predict` on a tiny trained run: the agreed JSON, figures that agree with an
 * independent computation, the report files, and the handling of unreadable files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEvalCommand } from '../../src/cli/commands/eval.js';
import { registerPredictCommand } from '../../src/cli/commands/predict.js';
import { loadEvaluationSet } from '../../src/data/evaluation-set.js';
import { KwsError, UsageError } from '../../src/errors.js';
import { openClassifier } from '../../src/eval/classifier.js';
import { confusionMatrix } from '../../src/metrics.js';
import { deployedClassifier } from '../../src/quant/deployed.js';
import { isWeighted, type QuantizedNetwork } from '../../src/quant/ir.js';
import { loadQuantizedNetwork } from '../../src/quant/store.js';
import { indexForRun } from '../../src/run/data.js';
import { RunDir } from '../../src/run/layout.js';
import { runKws } from '../helpers/run-command.js';
import { makeTrainedRun, type TrainedRun } from './trained-run.js';

let fixture: TrainedRun;

beforeAll(async () => {
  fixture = await makeTrainedRun();
});

afterAll(() => fs.rmSync(fixture.root, { recursive: true, force: true }));

function kws(...args: string[]) {
  return runKws((program) => {
    registerEvalCommand(program);
    registerPredictCommand(program);
  }, args);
}

function runArgs(...more: string[]): string[] {
  return ['--train-dir', fixture.trainDir, '--backend', 'cpu', ...more];
}

function evalArgs(...more: string[]): string[] {
  return runArgs('--cache-dir', fixture.cacheDir, ...more);
}

async function testingFeatures() {
  return loadEvaluationSet({
    index: indexForRun(fixture.run),
    set: 'testing',
    feature: fixture.run.feature,
    cacheDir: fixture.cacheDir,
  });
}

describe('kws eval', () => {
  it('prints the agreed JSON, with the confusion matrix of the best checkpoint on the testing set', async () => {
    const { stdout, error } = await kws('eval', ...evalArgs('--json'));
    expect(error).toBeUndefined();
    const json = JSON.parse(stdout);
    expect(Object.keys(json)).toEqual(['set', 'n', 'accuracy', 'labels', 'confusion', 'per_class', 'quantized']);
    expect(json).toMatchObject({
      set: 'testing',
      quantized: false,
      labels: ['_silence_', '_unknown_', 'yes', 'no', 'up'],
    });
    expect(Object.keys(json.per_class)).toEqual(json.labels);
    expect(Object.keys(json.per_class.yes)).toEqual(['precision', 'recall', 'f1', 'support']);

    // The same numbers by another path: the classifier on the set's features, counted here.
    const set = await testingFeatures();
    const classifier = await openClassifier(fixture.trainDir, { backend: 'cpu' });
    const expected = confusionMatrix(set.y, classifier.predict(set.x), 5);
    classifier.dispose();
    expect(json.n).toBe(set.y.length);
    expect(json.confusion).toEqual(expected);
    expect(json.accuracy).toBeCloseTo(expected.reduce((sum, row, i) => sum + row[i]!, 0) / set.y.length, 12);
    json.labels.forEach((label: string, i: number) =>
      expect(json.per_class[label].support).toBe(expected[i]!.reduce((a, b) => a + b, 0)),
    );
  });

  it('--quantized scores the integer network, as the quantiser predicts it, against the float model clip by clip', async () => {
    const { stdout, error } = await kws('eval', ...evalArgs('--quantized', '--json'));
    expect(error).toBeUndefined();
    const json = JSON.parse(stdout);
    expect(json.quantized).toBe(true);
    const set = await testingFeatures();
    const int8 = deployedClassifier(loadQuantizedNetwork(new RunDir(fixture.trainDir)).network).predict(set.x);
    expect(json.confusion).toEqual(confusionMatrix(set.y, int8, 5));

    const classifier = await openClassifier(fixture.trainDir, { backend: 'cpu' });
    const float = classifier.predict(set.x);
    classifier.dispose();
    const right = (predicted: Int32Array, i: number) => predicted[i] === set.y[i];
    const int8Only = set.y.filter((_, i) => right(int8, i) && !right(float, i)).length;
    const floatOnly = set.y.filter((_, i) => right(float, i) && !right(int8, i)).length;
    const versus = json.versus_float;
    expect(versus.float_accuracy).toBeCloseTo(set.y.filter((_, i) => right(float, i)).length / set.y.length, 12);
    expect(versus).toMatchObject({ int8_only_right: int8Only, float_only_right: floatOnly });
    expect(versus.difference).toBeCloseTo(json.accuracy - versus.float_accuracy, 12);
    expect(versus.interval95[0]).toBeLessThanOrEqual(versus.difference);
    expect(versus.interval95[1]).toBeGreaterThanOrEqual(versus.difference);

    const text = await kws('eval', ...evalArgs('--quantized'));
    expect(text.stdout).toMatch(
      new RegExp(
        `\\nfloat model on the same clips: accuracy ${(versus.float_accuracy * 100).toFixed(2)}%; int8 − float [+−]\\d+\\.\\d\\d points ` +
          `\\(95% interval [+−]\\d+\\.\\d\\d to [+−]\\d+\\.\\d\\d; ${int8Only + floatOnly} clips? differ: ` +
          `${int8Only} right only in int8, ${floatOnly} only in float\\)\\n`,
      ),
    );
  });

  it('--by-point prices each quantisation point and layer alone against the float network', async () => {
    const { stdout, error } = await kws('eval', ...evalArgs('--quantized', '--by-point', '--json'));
    expect(error).toBeUndefined();
    const { by_point: byPoint, n } = JSON.parse(stdout);
    const network = loadQuantizedNetwork(new RunDir(fixture.trainDir)).network as QuantizedNetwork;
    const weighted = network.layers.filter(isWeighted).map((layer) => layer.name);
    expect(byPoint.rows.map((row: { kind: string; name: string }) => `${row.kind} ${row.name}`)).toEqual([
      'activations all',
      'weights all',
      'activations input',
      ...weighted.map((name) => `activations ${name}`),
      ...weighted.map((name) => `weights ${name}`),
    ]);
    for (const row of byPoint.rows) {
      expect(row.difference).toBeCloseTo(row.accuracy - byPoint.float_accuracy, 12);
      expect(row.only_right_here - row.float_only_right).toBe(Math.round(row.difference * n));
    }
    const text = await kws('eval', ...evalArgs('--quantized', '--by-point'));
    expect(text.stdout).toContain('What each quantisation source costs on its own');
    expect(text.stdout).toMatch(
      /\nIP1 activations +\d+\.\d\d% +[+−]\d+\.\d\d +[+−]\d+\.\d\d to [+−]\d+\.\d\d +\d+ \/ \d+ {2}(Q\d\.\d|-?\d+ fractional bits)\n/,
    );
    const float = await kws('eval', ...evalArgs('--by-point'));
    expect(float.error).toBeInstanceOf(UsageError);
    expect((float.error as Error).message).toBe('--by-point needs --quantized');
  });

  it('prints accuracy, a labelled confusion matrix and the per-class table as text', async () => {
    const { stdout, error } = await kws('eval', ...evalArgs('--checkpoint', 'last'));
    expect(error).toBeUndefined();
    expect(stdout).toMatch(
      /^testing set, float model \(last checkpoint, cpu backend\): accuracy \d+\.\d\d% \(\d+ of \d+\)/,
    );
    expect(stdout).toMatch(/truth\\pred\s+_silence_/);
    expect(stdout).toMatch(/\nlabel\s+precision\s+recall\s+f1\s+support\n/);
    expect(stdout).toMatch(/\nmacro avg\s/);
  });

  it('--set all scores every clip of the folder; --set validation follows the run split', async () => {
    const all = JSON.parse((await kws('eval', ...evalArgs('--set', 'all', '--json'))).stdout);
    const index = indexForRun({ ...fixture.run, data: { ...fixture.run.data, split: 'all' } });
    expect(all.set).toBe('all');
    expect(all.n).toBe(index.sets.testing.length);
    const validation = JSON.parse((await kws('eval', ...evalArgs('--set', 'validation', '--json'))).stdout);
    expect(validation.n).toBe(indexForRun(fixture.run).sets.validation.length);
    expect(all.n).toBeGreaterThan(validation.n);
  });

  it('rejects overrides the model cannot take, naming the flag', async () => {
    const words = await kws('eval', ...evalArgs('--wanted-words', 'yes,no'));
    expect(words.error).toBeInstanceOf(UsageError);
    expect((words.error as Error).message).toMatch(/--wanted-words/);
    const features = await kws('eval', ...evalArgs('--dct-coefficient-count', '12'));
    expect(features.error).toBeInstanceOf(UsageError);
    expect((features.error as Error).message).toMatch(/--dct-coefficient-count 10 \(now 12\)/);
    // Same input size, other features: refused too (only the size was compared before).
    const stride = await kws('eval', ...evalArgs('--window-size-ms', '30'));
    expect(stride.error).toBeInstanceOf(UsageError);
    expect((stride.error as Error).message).toMatch(
      /the model was trained on other features \(--window-size-ms 40 \(now 30\)\)/,
    );
    // The run's own values, typed out as ARM's scripts needed them, are fine.
    expect((await kws('eval', ...evalArgs('--window-stride-ms', '40', '--json'))).error).toBeUndefined();
    const missing = await kws('eval', '--train-dir', path.join(fixture.root, 'nothing-here'));
    expect(missing.error).toBeInstanceOf(KwsError);
    expect((missing.error as Error).message).toMatch(/not a training directory/);
  });

  it('--report writes an HTML page and SVG charts holding the figures, float beside int8 when quantised', async () => {
    const dir = path.join(fixture.root, 'report');
    const { stdout, stderr, error } = await kws('eval', ...evalArgs('--quantized', '--json', '--report', dir));
    expect(error).toBeUndefined();
    const int8 = JSON.parse(stdout);
    const float = JSON.parse((await kws('eval', ...evalArgs('--json'))).stdout);
    expect(stderr).toContain(path.join(dir, 'index.html'));
    expect(fs.readdirSync(dir).sort()).toEqual([
      'confusion-float.svg',
      'confusion-int8.svg',
      'index.html',
      'training-curves.svg',
    ]);

    const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<(link|script)\b|src="http/);
    expect(html).toContain(`${(float.accuracy * 100).toFixed(2)}%`);
    expect(html).toContain(`${(int8.accuracy * 100).toFixed(2)}%`);
    expect(html).toContain('int8 − float');
    expect(html).toContain('--quantized');

    const heatmap = fs.readFileSync(path.join(dir, 'confusion-int8.svg'), 'utf8');
    expect(heatmap.startsWith('<?xml')).toBe(true);
    int8.confusion.forEach((row: number[], t: number) =>
      row.forEach((count, p) => {
        const support = row.reduce((a, b) => a + b, 0);
        expect(heatmap).toContain(`${int8.labels[t]} → ${int8.labels[p]}: ${count} of ${support}`);
      }),
    );
    const curves = fs.readFileSync(path.join(dir, 'training-curves.svg'), 'utf8');
    expect(curves.match(/<polyline /g)).toHaveLength(3);
  });
});

describe('kws predict', () => {
  const clip = (word: string) => {
    const folder = path.join(fixture.dataDir, word);
    return path.join(folder, fs.readdirSync(folder).sort()[0]!);
  };

  it('prints the top-k labels with scores per file, as JSON lines', async () => {
    const files = [clip('yes'), clip('up')];
    const { stdout, error } = await kws('predict', ...runArgs('--top-k', '2', '--json'), ...files);
    expect(error).toBeUndefined();
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.file)).toEqual(files);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['file', 'label', 'scores']);
      const scores = Object.values<number>(line.scores);
      expect(scores).toHaveLength(2);
      expect(scores[0]).toBeGreaterThanOrEqual(scores[1]!);
      expect(Object.keys(line.scores)[0]).toBe(line.label);
      expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    }
  });

  it('--quantized adds the int8 input and logits; the label is the arg-max of those logits', async () => {
    const { stdout, error } = await kws('predict', ...runArgs('--quantized', '--json', '--top-k', '5'), clip('no'));
    expect(error).toBeUndefined();
    const line = JSON.parse(stdout);
    expect(Object.keys(line)).toEqual(['file', 'label', 'scores', 'input_int8', 'logits_int8']);
    expect(line.input_int8).toHaveLength(25 * 10);
    expect(line.logits_int8).toHaveLength(5);
    const labels = ['_silence_', '_unknown_', 'yes', 'no', 'up'];
    expect(line.label).toBe(labels[line.logits_int8.indexOf(Math.max(...line.logits_int8))]);
    expect(Object.keys(line.scores).sort()).toEqual([...labels].sort());
  });

  it('reports each unreadable file on stderr, labels the rest, then fails', async () => {
    const broken = path.join(fixture.root, 'broken.wav');
    fs.writeFileSync(broken, 'not a wav');
    const missing = path.join(fixture.root, 'missing.wav');
    const { stdout, stderr, error } = await kws('predict', ...runArgs(), broken, clip('yes'), missing);
    expect(error).toBeInstanceOf(KwsError);
    expect((error as Error).message).toBe('2 of 3 files could not be read');
    expect(stderr.split('\n').filter((l) => l.startsWith('kws: '))).toHaveLength(2);
    expect(stderr).toContain(broken);
    expect(stderr).toContain(missing);
    expect(stdout).toMatch(
      new RegExp(`^${clip('yes').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n  \\S+ \\(score = 0\\.\\d{5}\\)\\n`),
    );
    expect(stdout.trim().split('\n')).toHaveLength(4);
  });
});
