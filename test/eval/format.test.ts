/** Text and JSON of eval and predict on hand-worked figures, and the --set mapping. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { evaluationSplit } from '../../src/eval/evaluate.js';
import { evaluationJson, formatClassTable, formatMetrics } from '../../src/eval/format.js';
import { metricsFromConfusion } from '../../src/metrics.js';
import { formatPrediction, predictionJson, topK } from '../../src/eval/predict.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import type { RunConfig } from '../../src/run/config.js';

// Hand-worked: class a 3 clips (2 right), b 1 clip (right), c none; c predicted once.
const CONFUSION = [
  [2, 0, 1],
  [0, 1, 0],
  [0, 0, 0],
];
const LABELS = ['a', 'b', 'c'];

describe('eval output', () => {
  it('JSON carries the agreed keys, per class by label', () => {
    const json = evaluationJson('testing', LABELS, metricsFromConfusion(CONFUSION), true);
    expect(json).toEqual({
      set: 'testing',
      n: 4,
      accuracy: 0.75,
      labels: LABELS,
      confusion: CONFUSION,
      per_class: {
        a: { precision: 1, recall: 2 / 3, f1: 0.8, support: 3 },
        b: { precision: 1, recall: 1, f1: 1, support: 1 },
        c: { precision: 0, recall: 0, f1: 0, support: 0 },
      },
      quantized: true,
    });
  });

  it('text has the headline with the count right, and an aligned per-class table with the macro average', () => {
    const metrics = metricsFromConfusion(CONFUSION);
    expect(formatMetrics('testing set, float model', metrics, LABELS).split('\n')[0]).toBe(
      'testing set, float model: accuracy 75.00% (3 of 4)',
    );
    const table = formatClassTable(metrics, LABELS).split('\n');
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
    expect(table[1]).toMatch(/^a\s+100\.0%\s+66\.7%\s+80\.0%\s+3$/);
    // macro: precision (1+1+0)/3, recall (2/3+1+0)/3, F1 (0.8+1+0)/3.
    expect(table[4]).toMatch(/^macro avg\s+66\.7%\s+55\.6%\s+60\.0%\s+4$/);
  });
});

describe('--set', () => {
  const run = { data: { split: 'hash' } } as RunConfig;

  it('all means split rule all, read from the testing set', () => {
    const { run: changed, set } = evaluationSplit({ ...run, feature: DEFAULT_FEATURE_CONFIG }, 'all');
    expect(set).toBe('testing');
    expect(changed.data.split).toBe('all');
    expect(evaluationSplit(run, 'validation')).toEqual({ run, set: 'validation' });
  });

  it('refuses training or validation under split all, where they are empty', () => {
    const all = { data: { split: 'all' } } as RunConfig;
    expect(() => evaluationSplit(all, 'training')).toThrow(UsageError);
    expect(evaluationSplit(all, 'testing').set).toBe('testing');
  });
});

describe('predict output', () => {
  it('top-k: best first, ties in label order, at least one', () => {
    expect(topK([0.1, 0.4, 0.1, 0.4], ['w', 'x', 'y', 'z'], 3)).toEqual([
      { label: 'x', score: 0.4 },
      { label: 'z', score: 0.4 },
      { label: 'w', score: 0.1 },
    ]);
    expect(topK([0.5, 0.5], ['p', 'q'], 0)).toHaveLength(1);
    expect(topK([0.5, 0.5], ['p', 'q'], 9)).toHaveLength(2);
  });

  it("JSON holds the int8 arrays only when traced; text is label_wav.py's", () => {
    const prediction = {
      file: 'a.wav',
      label: 'yes',
      top: [
        { label: 'yes', score: 0.75 },
        { label: 'no', score: 0.25 },
      ],
    };
    expect(predictionJson(prediction)).toEqual({ file: 'a.wav', label: 'yes', scores: { yes: 0.75, no: 0.25 } });
    const traced = predictionJson({ ...prediction, inputInt8: Int8Array.of(-128, 5), logitsInt8: Int8Array.of(3, -2) });
    expect(traced).toMatchObject({ input_int8: [-128, 5], logits_int8: [3, -2] });
    expect(formatPrediction(prediction)).toBe('a.wav\n  yes (score = 0.75000)\n  no (score = 0.25000)');
  });
});
