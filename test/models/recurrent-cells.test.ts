/**
 * The recurrent layers against TF1's cell equations written out in plain JavaScript:
 * GRUCell (reset gate applied before the candidate matmul) and LSTMCell with peepholes and
 * projection (forget bias held in the bias variable).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Initializers } from '../../src/models/init.js';
import { ProjectionLstmCell } from '../../src/models/lstm-cell.js';
import { buildModel } from '../../src/models/build/index.js';
import { gruStack } from '../../src/models/build/recurrent.js';
import { Random } from '../../src/random.js';
import { SMALL_SPECS } from './small-specs.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Matrix = number[][];
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function randomMatrix(random: Random, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => random.uniform(-0.8, 0.8)));
}

/** v · M[:, from:to] */
function times(v: readonly number[], m: Matrix, from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, j) => v.reduce((sum, vi, i) => sum + vi * m[i]![from + j]!, 0));
}

const add = (...vs: number[][]) => vs[0]!.map((_, i) => vs.reduce((sum, v) => sum + v[i]!, 0));
const mul = (a: number[], b: number[]) => a.map((v, i) => v * b[i]!);

function runLayer(layer: tf.layers.Layer, steps: Matrix, weights: Array<Matrix | number[]>): number[] {
  const input = tf.input({ shape: [steps.length, steps[0]!.length] });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  model.setWeights(weights.map((w) => (Array.isArray(w[0]) ? tf.tensor2d(w as Matrix) : tf.tensor1d(w as number[]))));
  const x = tf.tensor3d([steps]);
  const out = Array.from((model.predict(x) as tf.Tensor).dataSync());
  x.dispose();
  model.dispose();
  return out;
}

describe('recurrent cells match TF1', () => {
  const steps = 5;
  const inputs = 3;

  it('GRU: tfjs GRU as configured equals TF1 GRUCell', () => {
    const random = new Random(17);
    const n = 4;
    const kernel = randomMatrix(random, inputs, 3 * n);
    const recurrent = randomMatrix(random, n, 3 * n);
    const bias = Array.from({ length: 3 * n }, () => random.uniform(-0.5, 0.5));
    const xs = randomMatrix(random, steps, inputs);
    let h = new Array<number>(n).fill(0);
    for (const x of xs) {
      // tfjs column blocks: update (TF1 u), reset (TF1 r), candidate.
      const u = add(times(x, kernel, 0, n), times(h, recurrent, 0, n), bias.slice(0, n)).map(sigmoid);
      const r = add(times(x, kernel, n, 2 * n), times(h, recurrent, n, 2 * n), bias.slice(n, 2 * n)).map(sigmoid);
      const c = add(times(x, kernel, 2 * n, 3 * n), times(mul(r, h), recurrent, 2 * n, 3 * n), bias.slice(2 * n)).map(
        Math.tanh,
      );
      h = h.map((hi, i) => u[i]! * hi + (1 - u[i]!) * c[i]!);
    }
    const [layer] = gruStack(1, n, inputs, new Initializers(1));
    const got = runLayer(layer!, xs, [kernel, recurrent, bias]);
    got.forEach((v, i) => expect(v).toBeCloseTo(h[i]!, 5));
  });

  it('LSTM: ProjectionLstmCell equals TF1 LSTMCell(use_peepholes, num_proj)', () => {
    const random = new Random(23);
    const n = 5;
    const p = 2;
    const kernel = randomMatrix(random, inputs, 4 * n);
    const recurrent = randomMatrix(random, p, 4 * n);
    const bias = Array.from({ length: 4 * n }, () => random.uniform(-0.5, 0.5));
    const [wi, wf, wo] = [0, 1, 2].map(() => Array.from({ length: n }, () => random.uniform(-0.5, 0.5)));
    const projection = randomMatrix(random, n, p);
    const xs = randomMatrix(random, steps, inputs);
    let m = new Array<number>(p).fill(0);
    let c = new Array<number>(n).fill(0);
    for (const x of xs) {
      const z = (block: number) =>
        add(
          times(x, kernel, block * n, (block + 1) * n),
          times(m, recurrent, block * n, (block + 1) * n),
          bias.slice(block * n, (block + 1) * n),
        );
      // TF1 gate order: i, j (candidate), f, o.
      const i = add(z(0), mul(wi!, c)).map(sigmoid);
      const f = add(z(2), mul(wf!, c)).map(sigmoid);
      c = add(mul(f, c), mul(i, z(1).map(Math.tanh)));
      const o = add(z(3), mul(wo!, c)).map(sigmoid);
      m = times(mul(o, c.map(Math.tanh)), projection, 0, p);
    }
    const cell = new ProjectionLstmCell({ units: n, projection: p });
    const got = runLayer(tf.layers.rnn({ cell }), xs, [kernel, recurrent, bias, wi!, wf!, wo!, projection]);
    got.forEach((v, k) => expect(v).toBeCloseTo(m[k]!, 5));
  });

  it('starts the GRU reset and update gate biases at 1.0, as TF1 GRUCell', () => {
    const model = buildModel(SMALL_SPECS.crnn, 3);
    for (const name of ['gru_1', 'gru_2']) {
      const bias = Array.from(model.getLayer(name).getWeights()[2]!.dataSync());
      expect(bias).toEqual([...new Array(10).fill(1), ...new Array(5).fill(0)]);
    }
    model.dispose();
  });

  it('starts the LSTM forget gate bias at 1.0', () => {
    const cell = new ProjectionLstmCell({ units: 3, projection: 2 });
    tf.layers.rnn({ cell }).apply(tf.input({ shape: [4, 2] }));
    const bias = Array.from(cell.getWeights()[2]!.dataSync());
    expect(bias).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
  });
});
