/**
 * From a (random but fixed) tfjs model to an integer network: the integer network must keep
 * the float model's decisions on most inputs, the report must describe what was chosen, and
 * ARM's --act-max must be honoured.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { featureGeometry } from '../../src/features/config.js';
import { argmax } from '../../src/metrics.js';
import { createIntegerClassifier } from '../../src/quant/integer-classifier.js';
import { quantizeModel } from '../../src/quant/quantize.js';
import {
  LABELS,
  SMALL_FEATURES,
  SMALL_SIZE_INFO,
  description,
  predict,
  randomFeatures,
  randomizedModel,
} from './models.js';

const EXAMPLES = 200;

/** Labels = the float model's own decisions, so float accuracy is 100 % and the rest measures quantisation loss. */
function calibrationFor(architecture: 'dnn' | 'cnn' | 'ds_cnn', seed: number) {
  const model = randomizedModel(architecture, SMALL_SIZE_INFO[architecture], seed);
  const x = randomFeatures(EXAMPLES, seed + 1);
  const logits = predict(model, x);
  const y = Int32Array.from({ length: EXAMPLES }, (_, n) =>
    argmax(logits.subarray(n * LABELS.length, (n + 1) * LABELS.length)),
  );
  return { model, calibration: { x, y } };
}

describe('quantizeModel', () => {
  it.each(['dnn', 'cnn', 'ds_cnn'] as const)(
    '%s: integer network keeps most float decisions (max ranges)',
    (architecture) => {
      const { model, calibration } = calibrationFor(architecture, 5);
      const { network, report } = quantizeModel({
        model,
        description: description(architecture),
        calibration,
        method: 'max',
      });
      expect(report!.accuracy!.float).toBe(1);
      expect(report!.accuracy!.integer).toBeGreaterThan(0.8);
      expect(report!.accuracy!.fakeQuant).toBeGreaterThan(0.8);
      // The integer classifier is the same pipeline as the report's integer accuracy.
      const predictions = createIntegerClassifier(network).predict(calibration.x);
      const agree = predictions.filter((p, n) => p === calibration.y[n]).length / EXAMPLES;
      expect(agree).toBeCloseTo(report!.accuracy!.integer!, 10);
      // max ranges: nothing but rounding at the top of a range can clamp.
      for (const point of report!.points) expect(point.saturated / point.total).toBeLessThan(0.01);
      expect(network.inputFrac).toBe(report!.points[0]!.frac);
      model.dispose();
    },
  );

  it('percentile ranges clip more than max ranges, never less', () => {
    const { model, calibration } = calibrationFor('ds_cnn', 9);
    const max = quantizeModel({ model, description: description('ds_cnn'), calibration, method: 'max' }).report!;
    const pct = quantizeModel({
      model,
      description: description('ds_cnn'),
      calibration,
      method: 'percentile',
      percentile: 99,
    }).report!;
    pct.points.forEach((point, i) => expect(point.frac).toBeGreaterThanOrEqual(max.points[i]!.frac));
    expect(pct.points.some((point, i) => point.frac > max.points[i]!.frac)).toBe(true);
    model.dispose();
  });

  it('search keeps per-point ranges near the max range and does no worse than max in fake-quant accuracy at the first point', () => {
    const { model, calibration } = calibrationFor('dnn', 13);
    const max = quantizeModel({ model, description: description('dnn'), calibration, method: 'max' }).report!;
    const search = quantizeModel({ model, description: description('dnn'), calibration, method: 'search' }).report!;
    search.points.forEach((point, i) => {
      const offset = point.frac - max.points[i]!.frac;
      expect(offset).toBeGreaterThanOrEqual(-1);
      expect(offset).toBeLessThanOrEqual(3);
    });
    expect(search.accuracy!.integer).toBeGreaterThan(0.8);
    model.dispose();
  });

  it("--act-max: ARM's list order and meaning (power of two A → 7 − log2 A fractional bits; 0 = float)", () => {
    const { model, calibration } = calibrationFor('dnn', 21);
    // dnn with 2 hidden layers: input, fc1, fc2, logits.
    const { network, report } = quantizeModel({
      model,
      description: description('dnn'),
      calibration,
      method: 'max',
      actMax: [32, 16, 0, 8],
    });
    expect(network.inputFrac).toBe(2);
    expect(report!.method).toBe('act-max');
    expect(report!.points.map((p) => p.frac).slice(0, 2)).toEqual([2, 3]);
    expect(report!.points[3]!.frac).toBeLessThanOrEqual(4);
    expect(report!.adjustments.some((a) => a.includes('IP2') && a.includes('--act-max 0'))).toBe(true);
    expect(() =>
      quantizeModel({ model, description: description('dnn'), calibration, method: 'max', actMax: [32, 0, 0] }),
    ).toThrow(UsageError);
    expect(() =>
      quantizeModel({ model, description: description('dnn'), calibration, method: 'max', actMax: [32, 0, 0] }),
    ).toThrow(/--act-max needs 4 values for this model \(input, IP1, IP2, IP3\); got 3/);
    model.dispose();
  });

  it('rejects calibration features of the wrong size', () => {
    const { model } = calibrationFor('dnn', 2);
    const { frames, coefficients } = featureGeometry(SMALL_FEATURES);
    const calibration = { x: new Float32Array(frames * coefficients * 3 - 1), y: new Int32Array(3) };
    expect(() => quantizeModel({ model, description: description('dnn'), calibration, method: 'max' })).toThrow(
      /calibration features hold/,
    );
    model.dispose();
  });
});
