/**
 * The recurrent quantiser end to end on random models: the integer network tracks the float one,
 * formats and adjustments are reported, the files say what is q15, and quantized-network.json's
 * form goes back to the same network — or fails naming what is damaged.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmax } from '../../../src/metrics.js';
import { createRecurrentClassifier } from '../../../src/quant/recurrent/classifier.js';
import { emitRecurrentC } from '../../../src/quant/recurrent/emit-c.js';
import { createRecurrentFloatForward } from '../../../src/quant/recurrent/float-network.js';
import { foldRecurrentModel } from '../../../src/quant/recurrent/fold.js';
import { validateRecurrentNetwork } from '../../../src/quant/recurrent/ir.js';
import { quantizeRecurrentModel } from '../../../src/quant/recurrent/quantize.js';
import { renderRecurrentQuantJson } from '../../../src/quant/recurrent/report.js';
import { recurrentNetworkFromJson, recurrentNetworkToJson } from '../../../src/quant/recurrent/store.js';
import { tempDir } from '../../helpers/temp-dir.js';
import {
  LABELS,
  SMALL_CASES,
  S_PRESETS,
  describe as description,
  inputSize,
  presetCase,
  randomFeatures,
  randomRecurrentModel,
} from './models.js';

const workDir = tempDir('recurrent-quantize');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CALIBRATION = 24;
const HELD_OUT = 40;

describe('quantizeRecurrentModel', () => {
  it.each([...S_PRESETS.map(presetCase), ...SMALL_CASES.slice(1, 3)].map((c, i) => [c.name, c, 20 + i] as const))(
    '%s: the int8 network follows the float one on held-out inputs',
    (_, c, seed) => {
      const model = randomRecurrentModel(c, seed);
      const float = createRecurrentFloatForward(foldRecurrentModel(model, description(c)));
      const size = inputSize(c);
      const x = randomFeatures(c, CALIBRATION + HELD_OUT, seed + 1);
      const floatClass = Int32Array.from({ length: CALIBRATION + HELD_OUT }, (_, n) =>
        argmax(float.run(x.subarray(n * size, (n + 1) * size))),
      );
      const calibration = { x: x.subarray(0, CALIBRATION * size), y: floatClass.subarray(0, CALIBRATION) };
      const { network, report } = quantizeRecurrentModel({
        model,
        description: description(c),
        calibration,
        method: 'search',
      });
      model.dispose();

      const integer = createRecurrentClassifier(network);
      const scale = 2 ** -network.head[network.head.length - 1]!.outFrac;
      let agree = 0;
      let error = 0;
      let spread = 0;
      for (let n = CALIBRATION; n < CALIBRATION + HELD_OUT; n++) {
        const row = x.subarray(n * size, (n + 1) * size);
        const want = float.run(row);
        const got = integer.logits(row);
        if (argmax(got) === floatClass[n]) agree++;
        for (let k = 0; k < LABELS.length; k++) {
          error += Math.abs(got[k]! * scale - want[k]!);
          spread += Math.abs(want[k]!);
        }
      }
      expect(agree / HELD_OUT).toBeGreaterThanOrEqual(0.85);
      // Most of it is the input's own rounding to MFCC_DEC_BITS (about 0.04–0.1 on these inputs).
      expect(error / spread).toBeLessThan(0.15);
      expect(report.accuracy.float).toBe(1);
      expect(report.points.map((p) => p.point)[0]).toBe('input');
      expect(report.points.every((p) => p.total > 0 && Number.isInteger(p.frac))).toBe(true);
    },
  );

  it('reports formats, adjustments and q15 use, in quant.json and the C files', () => {
    const c = presetCase('lstm_s');
    const model = randomRecurrentModel(c, 5);
    const x = randomFeatures(c, 12, 6);
    // Digital silence gives MFCC c0 ≈ −247, beyond the Q7.0 the device's MFCC_DEC_BITS ≥ 0 allows.
    x[0] = -247;
    const quantized = quantizeRecurrentModel({
      model,
      description: description(c),
      calibration: { x, y: new Int32Array(12) },
      method: 'max',
    });
    model.dispose();
    const { report, network } = quantized;
    expect(report.points.map((p) => `${p.point} ${p.type}`)).toEqual([
      'input q7',
      'LSTM_GATES q15',
      'LSTM_CELL q15',
      'LSTM_PROJECTION q15',
      'FINAL_FC q7',
    ]);
    expect(report.adjustments).toContain(
      'input: -1 → 0 fractional bits (MFCC_DEC_BITS must be ≥ 0; larger features saturate)',
    );
    expect(report.points[0]!.saturated).toBeGreaterThan(0);
    expect(report.tensors.map((t) => t.name)).toEqual([
      'LSTM_WT',
      'LSTM_RECURRENT_WT',
      'LSTM_BIAS',
      'LSTM_INPUT_PEEPHOLE',
      'LSTM_FORGET_PEEPHOLE',
      'LSTM_OUTPUT_PEEPHOLE',
      'LSTM_PROJECTION_WT',
      'FINAL_FC_WT',
      'FINAL_FC_BIAS',
    ]);
    const json = JSON.parse(renderRecurrentQuantJson(quantized)) as {
      q15: string;
      cells: Array<{ gateOrder: string }>;
    };
    expect(json.q15).toMatch(/cell state .* q15/);
    expect(json.cells[0]!.gateOrder).toBe('i, j, f, o');

    const files = emitRecurrentC(network, path.join(workDir, 'lstm'));
    const header = fs.readFileSync(files.modelHeader, 'utf8');
    expect(header).toMatch(/Precision: [\s\S]*q15/);
    expect(header).toContain('#define LSTM_PROJ_DIM 98');
    expect(header).toMatch(
      /#define LSTM_GATE_LSHIFT \d+ \/\* pre-activations into the range the tables read \*\/\n#define LSTM_GATE_INT_WIDTH 3\n/,
    );
    const weights = fs.readFileSync(files.weightsHeader, 'utf8');
    expect(weights).toMatch(/\/\* LSTM_WT: lstm kernel \[576\]\[10\] \(gate rows i, j, f, o, in\), /);
    expect(weights).toContain('#define LSTM_INPUT_PEEPHOLE {');
    const source = fs.readFileSync(files.modelSource, 'utf8');
    for (const call of [
      'arm_fully_connected_mat_q7_vec_q15(',
      'arm_nn_activations_direct_q15(',
      'arm_nn_mult_q15(',
      'arm_q7_to_q15_no_shift(',
    ])
      expect(source).toContain(call);
    expect(source).not.toMatch(/malloc|gru_update_q15/);
  });

  it("quantized-network.json's form goes back to the same network, and damage is named", () => {
    const c = SMALL_CASES[4]!;
    const model = randomRecurrentModel(c, 8);
    const { network } = quantizeRecurrentModel({
      model,
      description: description(c),
      calibration: { x: randomFeatures(c, 6, 9), y: new Int32Array(6) },
      method: 'max',
    });
    model.dispose();
    const text = JSON.stringify(recurrentNetworkToJson(network));
    expect(recurrentNetworkFromJson(JSON.parse(text))).toEqual(network);
    const damaged = JSON.parse(text) as { cells: Array<{ recurrentKernel: number[] }> };
    damaged.cells[1]!.recurrentKernel[0] = 200;
    expect(() => recurrentNetworkFromJson(damaged)).toThrow(
      /GRU_2: recurrent kernel must be whole numbers in \[-128, 127\]/,
    );
    expect(() => recurrentNetworkFromJson({ architecture: 'ds_cnn', layers: [] })).toThrow(/not a recurrent network/);
  });

  it('validation names the cell whose format the kernels cannot take', () => {
    const c = SMALL_CASES[2]!;
    const model = randomRecurrentModel(c, 10);
    const { network } = quantizeRecurrentModel({
      model,
      description: description(c),
      calibration: { x: randomFeatures(c, 4, 11), y: new Int32Array(4) },
      method: 'max',
    });
    model.dispose();
    const cell = network.cells[0]!;
    expect(() =>
      validateRecurrentNetwork({ ...network, cells: [{ ...cell, gateFrac: 16 }, network.cells[1]!] }),
    ).toThrow(/GRU_1: gate pre-activations has 16 fractional bits, outside \[-3, 15\]/);
    expect(() =>
      validateRecurrentNetwork({
        ...network,
        cells: [{ ...cell, biasFrac: cell.inFrac + cell.kernelFrac - 31 }, network.cells[1]!],
      }),
    ).toThrow(/GRU_1: gate input product bias shift 31 outside \[0, 30\]/);
  });
});
