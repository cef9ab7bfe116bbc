/** The folded recurrent float network (CMSIS order, TF1 gate order) predicts what the tfjs model predicts. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecurrentFloatForward } from '../../../src/quant/recurrent/float-network.js';
import { foldRecurrentModel } from '../../../src/quant/recurrent/fold.js';
import {
  LABELS,
  SMALL_CASES,
  S_PRESETS,
  describe as description,
  inputSize,
  predict,
  presetCase,
  randomFeatures,
  randomRecurrentModel,
} from './models.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('foldRecurrentModel', () => {
  it.each([...S_PRESETS.map(presetCase), ...SMALL_CASES].map((c) => [c.name, c] as const))(
    '%s: the float forward pass equals tfjs predict within 1e-4',
    (_, c) => {
      const model = randomRecurrentModel(c, 11);
      const network = foldRecurrentModel(model, description(c));
      const count = c.name.startsWith('small') ? 6 : 3;
      const x = randomFeatures(c, count, 12);
      const expected = predict(model, x);
      model.dispose();
      const forward = createRecurrentFloatForward(network);
      const size = inputSize(c);
      let largest = 0;
      let worst = 0;
      for (let n = 0; n < count; n++) {
        const logits = forward.run(x.subarray(n * size, (n + 1) * size));
        for (let k = 0; k < LABELS.length; k++) {
          const want = expected[n * LABELS.length + k]!;
          largest = Math.max(largest, Math.abs(want));
          worst = Math.max(worst, Math.abs(logits[k]! - want));
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
      // Logits that vary, so agreement means something.
      expect(largest).toBeGreaterThan(0.1);
    },
  );

  it('names cells and layers as weights.h does, gate rows in TF1 order', () => {
    const names = (c: (typeof SMALL_CASES)[number]) => {
      const model = randomRecurrentModel(c, 1);
      const network = foldRecurrentModel(model, description(c));
      model.dispose();
      return [
        network.conv?.name,
        ...network.cells.map((cell) => cell.name),
        ...network.head.map((l) => `${l.name}${l.relu ? '+relu' : ''}`),
      ];
    };
    expect(names(SMALL_CASES[0]!)).toEqual([undefined, 'LSTM', 'FINAL_FC']);
    expect(names(SMALL_CASES[2]!)).toEqual([undefined, 'GRU_1', 'GRU_2', 'FINAL_FC']);
    expect(names(SMALL_CASES[3]!)).toEqual(['CONV1', 'GRU_1', 'FC+relu', 'FINAL_FC']);

    // tfjs's LSTM keeps Keras's i, f, c, o: TF1's j block is its third, f its second.
    const c = SMALL_CASES[0]!;
    const model = randomRecurrentModel(c, 2);
    const units = c.modelSizeInfo[0]!;
    const kernel = model.getLayer('lstm').getWeights()[0]!.arraySync() as number[][];
    const network = foldRecurrentModel(model, description(c));
    model.dispose();
    const cell = network.cells[0]!;
    const row = (gate: number, unit: number) =>
      Array.from(
        cell.kernel.subarray((gate * units + unit) * cell.inputSize, (gate * units + unit + 1) * cell.inputSize),
      );
    const column = (block: number, unit: number) => kernel.map((r) => Math.fround(r[block * units + unit]!));
    expect(row(1, 3)).toEqual(column(2, 3));
    expect(row(2, 0)).toEqual(column(1, 0));
  });

  it('refuses models it has no integer pipeline for, naming them', () => {
    const dense = tf.sequential({ layers: [tf.layers.dense({ inputShape: [72], units: 6 })] });
    expect(() => foldRecurrentModel(dense, description({ ...SMALL_CASES[0]!, architecture: 'dnn' as never }))).toThrow(
      /supports basic_lstm, lstm, gru, crnn; this model is dnn/,
    );
    expect(() => foldRecurrentModel(dense, description(SMALL_CASES[0]!))).toThrow(
      /a Dense layer here has no integer pipeline/,
    );
    dense.dispose();
    const hard = tf.sequential({
      layers: [
        tf.layers.reshape({ inputShape: [72], targetShape: [12, 6] }),
        tf.layers.gru({ units: 4, recurrentActivation: 'hardSigmoid' }),
        tf.layers.dense({ units: 6 }),
      ],
    });
    expect(() => foldRecurrentModel(hard, description(SMALL_CASES[2]!))).toThrow(
      /"hardSigmoid"; the q15 tables implement tanh \/ sigmoid only/,
    );
    hard.dispose();
  });
});
