/** The report's pieces on hand-made figures: axes, heat-map cells, escaping, and the page's numbers. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellColour, confusionHeatmapSvg, niceAxis, trainingCurvesSvg } from '../../src/eval/charts.js';
import type { Evaluation } from '../../src/eval/evaluate.js';
import { signedPoints } from '../../src/eval/format.js';
import { comparePaired } from '../../src/eval/paired.js';
import { computeMetrics } from '../../src/metrics.js';
import { renderReportHtml, writeReport, type ReportData } from '../../src/eval/report.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { profileModel } from '../../src/models/profile.js';
import type { LogRow } from '../../src/run/log.js';
import { testTempDir } from '../helpers/temp-dir.js';

const LABELS = ['_silence_', '_unknown_', 'yes', 'no'];
// 20 clips: 16 right, float; the int8 network loses two more.
const FLOAT = [
  [4, 1, 0, 0],
  [0, 5, 0, 1],
  [0, 1, 4, 0],
  [0, 1, 0, 3],
];
const INT8 = [
  [4, 1, 0, 0],
  [1, 4, 0, 1],
  [0, 1, 4, 0],
  [0, 2, 0, 2],
];

/** Per clip, in row order, the true label and the prediction a confusion matrix counts. */
function clipsOf(confusion: number[][]): { truth: Int32Array; predicted: Int32Array } {
  const truth: number[] = [];
  const predicted: number[] = [];
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      for (let i = 0; i < count; i++) {
        truth.push(t);
        predicted.push(p);
      }
    }),
  );
  return { truth: Int32Array.from(truth), predicted: Int32Array.from(predicted) };
}

function logRow(step: number, loss: number, trainAccuracy: number, validationAccuracy: number | null): LogRow {
  return {
    step,
    learningRate: 0.001,
    loss,
    trainAccuracy,
    validationAccuracy,
    samplesPerSecond: 1000,
    elapsedSeconds: step / 10,
  };
}

function reportData(evaluation: Evaluation, log: LogRow[]): ReportData {
  return {
    trainDir: '/runs/a<b>',
    evaluation,
    checkpoint: 'best',
    architecture: 'dnn',
    modelSizeInfo: [16, 16],
    feature: DEFAULT_FEATURE_CONFIG,
    dataDir: '/data',
    profile: profileModel({
      architecture: 'dnn',
      modelSizeInfo: [16, 16],
      frames: 49,
      coefficients: 10,
      labelCount: 4,
    }),
    log,
    generatedAt: new Date('2026-01-02T03:04:05Z'),
    command: 'kws eval --quantized --report out',
  };
}

describe('niceAxis', () => {
  it('covers the range with 1-2-5 steps and the decimals those steps need', () => {
    expect(niceAxis(0, 2.3)).toEqual({ lo: 0, hi: 2.5, ticks: [0, 0.5, 1, 1.5, 2, 2.5], decimals: 1 });
    expect(niceAxis(0, 30000, 6).ticks).toEqual([0, 5000, 10000, 15000, 20000, 25000, 30000]);
    expect(niceAxis(0, 400, 6)).toMatchObject({ lo: 0, hi: 400, decimals: 0 });
    // A flat series still gets an axis.
    expect(niceAxis(0, 0).ticks.length).toBeGreaterThan(1);
  });
});

describe('confusion heat-map', () => {
  it('has one cell per pair with its count and share, labels escaped', () => {
    const svg = confusionHeatmapSvg(FLOAT, ['a&b', ...LABELS.slice(1)], 'title <x>');
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="(\d+)" height="\1" fill/g)).toHaveLength(16);
    expect(svg).toContain('a&amp;b → _unknown_: 1 of 5 (20.0%)');
    expect(svg).toContain('no → no: 3 of 4 (75.0%)');
    expect(svg).toContain('<title>title &lt;x&gt;</title>');
    expect(svg).not.toContain('a&b');
  });

  it('colours right cells blue and wrong ones red, darker with a larger share', () => {
    const channels = (colour: string) => colour.match(/\d+/g)!.map(Number);
    const [r1, , b1] = channels(cellColour(0.9, true));
    expect(b1).toBeGreaterThan(r1!);
    const [r2, g2] = channels(cellColour(0.4, false));
    expect(r2).toBeGreaterThan(g2!);
    expect(channels(cellColour(0.4, false))[1]!).toBeLessThan(channels(cellColour(0.1, false))[1]!);
  });
});

describe('training curves', () => {
  it('draws loss, training and validation accuracy, skipping missing validation points', () => {
    const svg = trainingCurvesSvg([logRow(100, 2, 0.3, null), logRow(200, 1, 0.6, 0.5), logRow(300, 0.5, 0.8, 0.7)]);
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').length);
    expect(lines).toEqual([3, 3, 2]);
    expect(svg).toContain('>100%</text>');
    expect(svg).toContain('>300</text>');
  });
});

describe('HTML report', () => {
  // Both matrices have the same row sums, so their clips pair up in row order.
  const { truth, predicted: float } = clipsOf(FLOAT);
  const int8 = clipsOf(INT8).predicted;
  const evaluation: Evaluation = {
    set: 'testing',
    checkpoint: 'best',
    labels: LABELS,
    n: 20,
    float: computeMetrics(truth, float, LABELS.length),
    int8: computeMetrics(truth, int8, LABELS.length),
    truth,
    predictions: { float, int8 },
    int8VersusFloat: comparePaired(truth, int8, float),
    computed: 0,
    warnings: [],
  };

  it('shows both accuracies, their difference, per-class figures and the model cost', () => {
    const html = renderReportHtml(reportData(evaluation, [logRow(10, 1, 0.5, 0.5)]));
    expect(html).toContain('80.00%'); // float: 16 of 20
    expect(html).toContain('70.00%'); // int8: 14 of 20
    const [low, high] = evaluation.int8VersusFloat!.interval;
    expect(html).toContain(`−10.00 pt (${signedPoints(low)} to ${signedPoints(high)})`);
    // "no": float recall 3/4, int8 recall 2/4.
    expect(html).toContain('<td>75.0%</td>');
    expect(html).toContain('<td>50.0%</td>');
    expect(html).toContain('/runs/a&lt;b&gt;');
    expect(html).toContain('kws eval --quantized --report out');
    expect(html).toMatch(/parameters<\/dt><dd>[\d,]+<\/dd>/);
    expect(html).not.toMatch(/<(link|script|img)\b/);
  });

  it('writes the page and standalone SVGs atomically, without a curves file when there is no log', () => {
    const dir = testTempDir('report');
    const floatOnly = { ...evaluation, int8: undefined, int8VersusFloat: undefined, predictions: { float } };
    const written = writeReport(dir, reportData(floatOnly, []));
    expect(written.map((file) => path.basename(file))).toEqual(['confusion-float.svg', 'index.html']);
    expect(fs.readdirSync(dir).sort()).toEqual(['confusion-float.svg', 'index.html']);
    expect(fs.readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('No training log');
  });
});
