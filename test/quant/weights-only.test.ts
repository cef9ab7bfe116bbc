/** Weights-only quantisation of the recurrent models: weights.h in CMSIS order and the int8-weight accuracy. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argmax } from '../../src/metrics.js';
import { emitWeightsOnly, quantizeWeightsOnly } from '../../src/quant/weights-only.js';
import { LABELS, description, predict, randomFeatures, randomizedModel } from './models.js';

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-weights-only-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

describe('quantizeWeightsOnly', () => {
  it.each([
    ['gru', [1, 8], ['GRU_1_WT', 'GRU_1_RECURRENT_WT', 'GRU_1_BIAS', 'FINAL_FC_WT', 'FINAL_FC_BIAS']],
    [
      'lstm',
      [6, 8],
      ['LSTM_WT', 'LSTM_RECURRENT_WT', 'LSTM_BIAS', 'LSTM_INPUT_PEEPHOLE', 'LSTM_PROJECTION_WT', 'FINAL_FC_WT'],
    ],
    ['crnn', [4, 3, 2, 2, 2, 1, 6, 8], ['CONV1_WT', 'CONV1_BIAS', 'GRU_1_WT', 'FC_WT', 'FINAL_FC_WT']],
  ] as const)(
    '%s: ARM-style names, CMSIS order, accuracy with int8 weights; the model is left as it was',
    (architecture, sizeInfo, names) => {
      const model = randomizedModel(architecture, [...sizeInfo], 4);
      const x = randomFeatures(100, 5);
      const before = predict(model, x);
      const y = Int32Array.from({ length: 100 }, (_, n) =>
        argmax(before.subarray(n * LABELS.length, (n + 1) * LABELS.length)),
      );

      const result = quantizeWeightsOnly(model, description(architecture), { x, y });
      const tensorNames = result.tensors.map((t) => t.name);
      for (const name of names) expect(tensorNames).toContain(name);
      expect(result.accuracy.float).toBe(1);
      expect(result.accuracy.weightsQuantized).toBeGreaterThan(0.8);
      expect(Array.from(predict(model, x))).toEqual(Array.from(before));

      // final_fc kernel [in, out] is written [out][in]: row o holds output o's weights.
      const finalFc = model.getLayer('final_fc').getWeights()[0]!;
      const [inputs, outputs] = finalFc.shape as [number, number];
      const tensor = result.tensors.find((t) => t.name === 'FINAL_FC_WT')!;
      expect(tensor.shape).toEqual([outputs, inputs]);
      const w = finalFc.dataSync();
      const scale = 2 ** tensor.quantized.frac;
      for (const [i, o] of [
        [0, 1],
        [inputs - 1, 0],
        [1, outputs - 1],
      ] as const) {
        expect(Math.abs(tensor.quantized.values[o * inputs + i]! - w[i * outputs + o]! * scale)).toBeLessThanOrEqual(
          0.5 + 1e-6,
        );
      }

      const header = fs.readFileSync(emitWeightsOnly(result, path.join(outDir, architecture)), 'utf8');
      expect(header).toMatch(/\/\* FINAL_FC_WT: final_fc\/kernel\S* \[\d+\]\[\d+\] \(out, in\), /);
      expect(header).toContain('#define FINAL_FC_WT {');
      model.dispose();
    },
  );
});
