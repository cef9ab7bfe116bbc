/**
 * Bit-exact TypeScript of the emitted recurrent C (emit-c.ts): the same calls in the same order on
 * the same buffers, the q7 ones from the q7 simulator (conv, fully connected, ReLU), the q15 ones
 * from kernels.ts. Clamped values are counted per calibration point (ir.ts's `recurrentPoints`).
 */
import type { SaturationCounts } from '../requantize.js';
import { convolve, fullyConnected, relu } from '../simulate.js';
import {
  type GruCell,
  type LstmCell,
  type ProductShifts,
  type RecurrentCell,
  type RecurrentNetwork,
  gateCount,
  gruShifts,
  lstmShifts,
  recurrentPoints,
  stepInputSize,
  validateRecurrentNetwork,
} from './ir.js';
import {
  activationsDirectQ15,
  addQ15,
  fullyConnectedMatQ7VecQ15,
  gruUpdateQ15,
  multQ15,
  peepholeQ15,
  q15ToQ7,
  q7ToQ15NoShift,
  shiftQ15,
} from './kernels.js';

export interface RecurrentSimulator {
  readonly network: RecurrentNetwork;
  /** Int8 logits for one int8 frame-major input; `out` is reused if given. */
  run(input: Int8Array, out?: Int8Array): Int8Array;
  /** Values clamped per calibration point since creation or the last reset. */
  readonly saturations: Float64Array;
  resetSaturations(): void;
}

/** Buffers the emitted C declares once and shares between cells: gates and gates_tmp. */
interface Shared {
  gates: Int16Array;
  scratch: Int16Array;
  zeroBias: Int8Array;
  counts: SaturationCounts;
  /** Clamps by design, not counted: values beyond ±8 brought to the activation tables, which are flat there. */
  ignored: SaturationCounts;
}

type Step = (x: Int16Array) => void;

/** One cell's state (as static arrays in the C) and its step function. */
interface CellRun {
  state: Int16Array;
  reset(): void;
  step: Step;
}

/** One arm_fully_connected_mat_q7_vec_q15 call of a cell: all of `vector` times `rows` rows of `weights`. */
function product(
  shared: Shared,
  vector: Int16Array,
  weights: Int8Array,
  bias: Int8Array,
  rows: number,
  shifts: Pick<ProductShifts, 'biasShift' | 'outShift'>,
  output: Int16Array,
  slot: number,
): void {
  const { biasShift, outShift } = shifts;
  fullyConnectedMatQ7VecQ15(
    vector,
    weights,
    bias,
    vector.length,
    rows,
    biasShift,
    outShift,
    output,
    shared.counts,
    slot,
  );
}

function lstmRun(cell: LstmCell, shared: Shared, slots: { gates: number; cell: number; projection: number }): CellRun {
  const s = lstmShifts(cell);
  const u = cell.units;
  const rows = 4 * u;
  const { counts, ignored, zeroBias } = shared;
  const gates = shared.gates.subarray(0, rows);
  const [i, j, f, o] = [0, 1, 2, 3].map((k) => gates.subarray(k * u, (k + 1) * u)) as [
    Int16Array,
    Int16Array,
    Int16Array,
    Int16Array,
  ];
  const sigmoidThenTanh = gates.subarray(0, 3 * u);
  const tmp = shared.scratch.subarray(0, rows);
  const tmpA = tmp.subarray(0, u);
  const tmpB = tmp.subarray(u, 2 * u);
  const c = new Int16Array(u);
  const h = new Int16Array(u);
  const state = cell.projection === null ? h : new Int16Array(cell.projection);
  const projection = cell.projectionKernel && {
    weights: cell.projectionKernel,
    shifts: { biasShift: 0, outShift: s.projectionShift! },
  };
  const p = cell.peepholes;
  return {
    state,
    reset() {
      c.fill(0);
      h.fill(0);
      state.fill(0);
    },
    step(x) {
      product(shared, x, cell.kernel, cell.bias, rows, s.input, gates, slots.gates);
      product(shared, state, cell.recurrentKernel, zeroBias, rows, s.recurrent, tmp, slots.gates);
      addQ15(gates, s.input.alignShift, tmp, s.recurrent.alignShift, gates, rows, counts, slots.gates);
      if (p) {
        peepholeQ15(i, p.input, c, s.peephole!.input, u, counts, slots.gates);
        peepholeQ15(f, p.forget, c, s.peephole!.forget, u, counts, slots.gates);
      }
      shiftQ15(sigmoidThenTanh, s.gates.shift, sigmoidThenTanh, 3 * u, ignored, 0);
      activationsDirectQ15(i, u, s.gates.intWidth, 'sigmoid');
      activationsDirectQ15(j, u, s.gates.intWidth, 'tanh');
      activationsDirectQ15(f, u, s.gates.intWidth, 'sigmoid');
      multQ15(f, c, tmpA, s.forgetShift, u, counts, slots.cell);
      multQ15(i, j, tmpB, s.candidateShift, u, counts, slots.cell);
      addQ15(tmpA, 0, tmpB, 0, c, u, counts, slots.cell);
      if (p) peepholeQ15(o, p.output, c, s.peephole!.output, u, counts, slots.gates);
      shiftQ15(o, s.gates.shift, o, u, ignored, 0);
      activationsDirectQ15(o, u, s.gates.intWidth, 'sigmoid');
      shiftQ15(c, s.tanh.shift, tmpA, u, ignored, 0);
      activationsDirectQ15(tmpA, u, s.tanh.intWidth, 'tanh');
      multQ15(o, tmpA, h, s.outputShift, u, counts, slots.cell);
      if (projection)
        product(shared, h, projection.weights, zeroBias, state.length, projection.shifts, state, slots.projection);
    },
  };
}

function gruRun(cell: GruCell, shared: Shared, slots: { gates: number; candidate: number }): CellRun {
  const s = gruShifts(cell);
  const n = cell.units;
  const { counts, ignored, zeroBias } = shared;
  const { inputSize } = cell;
  const gates = shared.gates.subarray(0, 2 * n);
  const update = shared.gates.subarray(n, 2 * n);
  const candidate = shared.gates.subarray(2 * n, 3 * n);
  const tmpGates = shared.scratch.subarray(0, 2 * n);
  const resetState = shared.scratch.subarray(0, n);
  const tmpCandidate = shared.scratch.subarray(n, 2 * n);
  const gateKernel = cell.kernel.subarray(0, 2 * n * inputSize);
  const candidateKernel = cell.kernel.subarray(2 * n * inputSize);
  const gateBias = cell.bias.subarray(0, 2 * n);
  const candidateBias = cell.bias.subarray(2 * n);
  const gateRecurrent = cell.recurrentKernel.subarray(0, 2 * n * n);
  const candidateRecurrent = cell.recurrentKernel.subarray(2 * n * n);
  const h = new Int16Array(n);
  return {
    state: h,
    reset: () => h.fill(0),
    step(x) {
      product(shared, x, gateKernel, gateBias, 2 * n, s.gatesInput, gates, slots.gates);
      product(shared, h, gateRecurrent, zeroBias, 2 * n, s.gatesRecurrent, tmpGates, slots.gates);
      addQ15(gates, s.gatesInput.alignShift, tmpGates, s.gatesRecurrent.alignShift, gates, 2 * n, counts, slots.gates);
      shiftQ15(gates, s.gates.shift, gates, 2 * n, ignored, 0);
      activationsDirectQ15(gates, 2 * n, s.gates.intWidth, 'sigmoid');
      product(shared, x, candidateKernel, candidateBias, n, s.candidateInput, candidate, slots.candidate);
      multQ15(gates, h, resetState, s.resetShift, n, counts, slots.candidate);
      product(shared, resetState, candidateRecurrent, zeroBias, n, s.candidateRecurrent, tmpCandidate, slots.candidate);
      const { candidateInput: ci, candidateRecurrent: cr } = s;
      addQ15(candidate, ci.alignShift, tmpCandidate, cr.alignShift, candidate, n, counts, slots.candidate);
      shiftQ15(candidate, s.candidate.shift, candidate, n, ignored, 0);
      activationsDirectQ15(candidate, n, s.candidate.intWidth, 'tanh');
      gruUpdateQ15(h, update, candidate, n);
    },
  };
}

/**
 * A reusable integer inference engine for a recurrent network, its buffers allocated once like the
 * emitted C's static arrays. Not safe to share between concurrent users.
 */
export function createRecurrentSimulator(network: RecurrentNetwork): RecurrentSimulator {
  validateRecurrentNetwork(network);
  const points = recurrentPoints(network).map((p) => p.name);
  const saturations = new Float64Array(points.length);
  const slot = (name: string) => points.indexOf(name);
  const largestGates = Math.max(...network.cells.map((cell) => gateCount(cell) * cell.units));
  const largestRows = Math.max(
    largestGates,
    ...network.cells.map((cell) => (cell.kind === 'lstm' ? (cell.projection ?? 0) : 0)),
  );
  const shared: Shared = {
    gates: new Int16Array(largestGates),
    scratch: new Int16Array(largestGates),
    zeroBias: new Int8Array(largestRows),
    counts: saturations,
    ignored: new Float64Array(1),
  };
  const runs = network.cells.map((cell: RecurrentCell) =>
    cell.kind === 'lstm'
      ? lstmRun(cell, shared, {
          gates: slot(`${cell.name}_GATES`),
          cell: slot(`${cell.name}_CELL`),
          projection: slot(`${cell.name}_PROJECTION`),
        })
      : gruRun(cell, shared, { gates: slot(`${cell.name}_GATES`), candidate: slot(`${cell.name}_CANDIDATE`) }),
  );
  const { conv } = network;
  const convOut = conv ? new Int8Array(conv.output.height * conv.output.width * conv.output.channels) : null;
  const patch = conv ? new Int8Array(conv.kernel.y * conv.kernel.x * conv.input.channels) : null;
  const convSlot = conv ? slot(conv.name) : 0;
  const stepSize = stepInputSize(network);
  const stepInput = new Int16Array(stepSize);
  const headQ15 = new Int16Array(network.head[0]!.outputSize);
  const headOut = network.head.map((layer) => new Int8Array(layer.outputSize));
  const headSlots = network.head.map((layer) => slot(layer.name));
  const inputSize = network.frames * network.coefficients;
  const last = runs[runs.length - 1]!;

  return {
    network,
    saturations,
    resetSaturations: () => saturations.fill(0),
    run(input, out = new Int8Array(network.labels.length)) {
      if (input.length !== inputSize)
        throw new Error(`simulator: input has ${input.length} values, expected ${inputSize}`);
      let sequence = input;
      if (conv && convOut) {
        convolve(conv, input, convOut, saturations, convSlot, patch!);
        relu(convOut, convOut.length);
        sequence = convOut;
      }
      for (const run of runs) run.reset();
      for (let t = 0; t < network.steps; t++) {
        q7ToQ15NoShift(sequence.subarray(t * stepSize, (t + 1) * stepSize), stepInput, stepSize);
        let x: Int16Array = stepInput;
        for (const run of runs) {
          run.step(x);
          x = run.state;
        }
      }
      network.head.forEach((layer, i) => {
        const target = headOut[i]!;
        if (layer.inputQ15) {
          const { inputSize: length, outputSize: rows, biasShift, outShift } = layer;
          // Its own clamps show again, and are counted, where the result is narrowed to q7.
          fullyConnectedMatQ7VecQ15(
            last.state,
            layer.weights,
            layer.bias,
            length,
            rows,
            biasShift,
            outShift,
            headQ15,
            shared.ignored,
            0,
          );
          q15ToQ7(headQ15, target, rows, saturations, headSlots[i]!);
        } else fullyConnected(layer, headOut[i - 1]!, target, saturations, headSlots[i]);
        if (layer.relu) relu(target, target.length);
      });
      out.set(headOut[headOut.length - 1]!);
      return out;
    },
  };
}
