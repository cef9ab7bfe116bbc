/**
 * The deployable float form of a recurrent model: tensors in the integer network's order (CMSIS
 * `[out][in]`, gate rows in TF1's order), the same cells and head. Its forward pass is checked
 * against TensorFlow.js and records the values at every calibration point (see ir.ts), step by step.
 */
import type { FeatureConfig } from '../../features/config.js';
import type { FloatOf } from '../float-network.js';
import type { ConvLayer, DenseLayer } from '../ir.js';
import { type RecurrentArchitecture, recurrentPoints } from './ir.js';

/** CRNN's convolution before quantisation: float tensors, no formats. */
export type FloatConv = FloatOf<ConvLayer>;

interface FloatCellBase {
  name: string;
  source: string;
  inputSize: number;
  units: number;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array;
}

export interface FloatLstmCell extends FloatCellBase {
  kind: 'lstm';
  projection: number | null;
  peepholes: { input: Float32Array; forget: Float32Array; output: Float32Array } | null;
  projectionKernel: Float32Array | null;
}

export interface FloatGruCell extends FloatCellBase {
  kind: 'gru';
}

export type FloatCell = FloatLstmCell | FloatGruCell;

export type FloatHeadLayer = FloatOf<DenseLayer> & { relu: boolean };

export interface FloatRecurrentNetwork {
  architecture: RecurrentArchitecture;
  feature: FeatureConfig;
  frames: number;
  coefficients: number;
  labels: string[];
  conv: FloatConv | null;
  steps: number;
  cells: FloatCell[];
  head: FloatHeadLayer[];
}

/** Sees a point's values (`length` of them, reused after the call), once per step for the cells' points. */
export type PointRecorder = (point: number, values: Float64Array, length: number) => void;

export interface RecurrentFloatForward {
  readonly network: FloatRecurrentNetwork;
  /** Logits for one frame-major input; the returned array is reused by the next call. */
  run(input: Float32Array, record?: PointRecorder): Float64Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** `out[o] = bias[o] + Σ weights[o][i]·vector[i]` (bias optional), accumulating into `out` when asked. */
function matrixVector(
  weights: Float32Array,
  vector: Float64Array,
  length: number,
  rows: number,
  out: Float64Array,
  bias: Float32Array | null,
  accumulate = false,
): void {
  for (let o = 0; o < rows; o++) {
    const w = o * length;
    let sum = accumulate ? out[o]! : bias ? bias[o]! : 0;
    for (let i = 0; i < length; i++) sum += weights[w + i]! * vector[i]!;
    out[o] = sum;
  }
}

function convolve(conv: FloatConv, input: Float32Array, output: Float64Array): void {
  const { input: inShape, output: outShape, kernel, stride, padding, weights, bias } = conv;
  const inCh = inShape.channels;
  for (let oy = 0; oy < outShape.height; oy++) {
    for (let ox = 0; ox < outShape.width; ox++) {
      for (let o = 0; o < outShape.channels; o++) {
        let sum = bias[o]!;
        for (let ky = 0; ky < kernel.y; ky++) {
          const y = oy * stride.y + ky - padding.y;
          if (y < 0 || y >= inShape.height) continue;
          for (let kx = 0; kx < kernel.x; kx++) {
            const x = ox * stride.x + kx - padding.x;
            if (x < 0 || x >= inShape.width) continue;
            const inBase = (y * inShape.width + x) * inCh;
            const wBase = ((o * kernel.y + ky) * kernel.x + kx) * inCh;
            for (let c = 0; c < inCh; c++) sum += input[inBase + c]! * weights[wBase + c]!;
          }
        }
        output[(oy * outShape.width + ox) * outShape.channels + o] = sum;
      }
    }
  }
}

/** Per-cell state and scratch, allocated once. */
interface CellRun {
  cell: FloatCell;
  state: Float64Array;
  cellState: Float64Array;
  hidden: Float64Array;
  gates: Float64Array;
  scratch: Float64Array;
  /** GRU: the candidate rows of the recurrent kernel. */
  candidateKernel: Float32Array;
  gatesPoint: number;
  secondPoint: number;
  projectionPoint: number;
}

/**
 * LSTM step, gate rows i, j, f, o: i = σ(z_i + p_i·c), f = σ(z_f + p_f·c), c' = f·c + i·tanh(z_j),
 * o = σ(z_o + p_o·c'), h = o·tanh(c'), state = P·h or h.
 */
function lstmStep(run: CellRun, x: Float64Array, record?: PointRecorder): void {
  const cell = run.cell as FloatLstmCell;
  const u = cell.units;
  const { gates, cellState: c, hidden: h, state } = run;
  matrixVector(cell.kernel, x, cell.inputSize, 4 * u, gates, cell.bias);
  matrixVector(cell.recurrentKernel, state, state.length, 4 * u, gates, null, true);
  const p = cell.peepholes;
  for (let k = 0; k < u; k++) {
    if (p) {
      gates[k] = gates[k]! + p.input[k]! * c[k]!;
      gates[2 * u + k] = gates[2 * u + k]! + p.forget[k]! * c[k]!;
    }
    const i = sigmoid(gates[k]!);
    const f = sigmoid(gates[2 * u + k]!);
    c[k] = f * c[k]! + i * Math.tanh(gates[u + k]!);
    if (p) gates[3 * u + k] = gates[3 * u + k]! + p.output[k]! * c[k]!;
    h[k] = sigmoid(gates[3 * u + k]!) * Math.tanh(c[k]!);
  }
  record?.(run.gatesPoint, gates, 4 * u);
  record?.(run.secondPoint, c, u);
  if (cell.projectionKernel) {
    matrixVector(cell.projectionKernel, h, u, cell.projection!, state, null);
    record?.(run.projectionPoint, state, cell.projection!);
  } else state.set(h);
}

/** GRU step, gate rows r, u, c: c = tanh(z_c + U_c·(r⊙h)), h' = u·h + (1 − u)·c. */
function gruStep(run: CellRun, x: Float64Array, record?: PointRecorder): void {
  const cell = run.cell;
  const n = cell.units;
  const { gates, scratch, state } = run;
  matrixVector(cell.kernel, x, cell.inputSize, 3 * n, gates, cell.bias);
  matrixVector(cell.recurrentKernel, state, n, 2 * n, gates, null, true);
  record?.(run.gatesPoint, gates, 2 * n);
  for (let k = 0; k < n; k++) scratch[k] = sigmoid(gates[k]!) * state[k]!;
  const candidate = gates.subarray(2 * n);
  matrixVector(run.candidateKernel, scratch, n, n, candidate, null, true);
  record?.(run.secondPoint, candidate, n);
  for (let k = 0; k < n; k++) {
    const update = sigmoid(gates[n + k]!);
    state[k] = update * state[k]! + (1 - update) * Math.tanh(candidate[k]!);
  }
}

export function createRecurrentFloatForward(network: FloatRecurrentNetwork): RecurrentFloatForward {
  const points = recurrentPoints(network).map((p) => p.name);
  const pointOf = (name: string) => points.indexOf(name);
  const convOut = network.conv
    ? new Float64Array(network.conv.output.height * network.conv.output.width * network.conv.output.channels)
    : null;
  const stepSize = network.conv ? network.conv.output.width * network.conv.output.channels : network.coefficients;
  const runs: CellRun[] = network.cells.map((cell) => {
    const gates = (cell.kind === 'lstm' ? 4 : 3) * cell.units;
    const stateLength = cell.kind === 'lstm' && cell.projection !== null ? cell.projection : cell.units;
    return {
      cell,
      state: new Float64Array(stateLength),
      cellState: new Float64Array(cell.units),
      hidden: new Float64Array(cell.units),
      gates: new Float64Array(gates),
      scratch: new Float64Array(cell.units),
      candidateKernel: cell.recurrentKernel.subarray(2 * cell.units * cell.units),
      gatesPoint: pointOf(`${cell.name}_GATES`),
      secondPoint: pointOf(`${cell.name}_${cell.kind === 'lstm' ? 'CELL' : 'CANDIDATE'}`),
      projectionPoint: pointOf(`${cell.name}_PROJECTION`),
    };
  });
  const headOutputs = network.head.map((layer) => new Float64Array(layer.outputSize));
  const inputCopy = new Float64Array(network.frames * network.coefficients);

  return {
    network,
    run(input, record) {
      if (input.length !== inputCopy.length)
        throw new Error(`float forward: input has ${input.length} values, expected ${inputCopy.length}`);
      inputCopy.set(input);
      record?.(0, inputCopy, inputCopy.length);
      if (network.conv && convOut) {
        convolve(network.conv, input, convOut);
        record?.(1, convOut, convOut.length);
        for (let i = 0; i < convOut.length; i++) if (convOut[i]! < 0) convOut[i] = 0;
      }
      const sequence = convOut ?? inputCopy;
      for (const run of runs) {
        run.state.fill(0);
        run.cellState.fill(0);
      }
      for (let t = 0; t < network.steps; t++) {
        let x: Float64Array = sequence.subarray(t * stepSize, (t + 1) * stepSize);
        for (const run of runs) {
          if (run.cell.kind === 'lstm') lstmStep(run, x, record);
          else gruStep(run, x, record);
          x = run.state;
        }
      }
      let vector: Float64Array = runs[runs.length - 1]!.state;
      const headPoint = points.length - network.head.length;
      network.head.forEach((layer, i) => {
        const out = headOutputs[i]!;
        matrixVector(layer.weights, vector, layer.inputSize, layer.outputSize, out, layer.bias);
        record?.(headPoint + i, out, layer.outputSize);
        if (layer.relu) for (let k = 0; k < out.length; k++) if (out[k]! < 0) out[k] = 0;
        vector = out;
      });
      return vector;
    },
  };
}
