/**
 * What the emitted recurrent C declares, from the model's shape alone (so `kws info` needs no
 * weights), and the buffer sizes the emitter writes as macros — one computation for both:
 *   weights             every const q7 array, and the zero bias the bias-free products pass;
 *   activation buffers  the q15 recurrent state (h, LSTM c and m), the q15 gates, and the q7
 *                       conv output and head outputs;
 *   scratch             gates_tmp and the q15 step input and head output (q15), and the q15
 *                       col_buffer ARM's convolution and arm_fully_connected_q7 use.
 */
import { convOutput } from '../../models/crnn.js';
import { convScratch } from '../../models/conv.js';
import type { ModelProfile } from '../../models/profile.js';
import { type ModelSpec, sizeNumbers } from '../../models/spec.js';
import type { CMemory } from '../c-memory.js';
import { type RecurrentNetwork, gateCount } from './ir.js';

/** The shapes that size the C's buffers. */
export interface RecurrentLayout {
  conv: { outputSize: number; inputChannels: number; kernelArea: number } | null;
  cells: Array<{ kind: 'lstm' | 'gru'; inputSize: number; units: number; projection: number | null }>;
  head: Array<{ inputSize: number; outputSize: number }>;
}

export interface RecurrentBuffers {
  /** q15 values of `gates` and of `gates_tmp`. */
  gates: number;
  /** q7 zeros: the most rows a bias-free product (recurrent, projection) has. */
  zeroBias: number;
  /** q15 values of one step of the first cell's input. */
  stepInput: number;
  /** q15 values of the first head layer's output. */
  headQ15: number;
  /** q15 values of col_buffer (0: none declared). */
  colBuffer: number;
  /** q15 values of recurrent state, over all cells. */
  state: number;
  /** q7 values of the conv output (0 without one). */
  convOut: number;
  /** q7 values of the head outputs other than the logits. */
  headOut: number;
}

export function layoutOfNetwork(network: RecurrentNetwork): RecurrentLayout {
  const { conv } = network;
  return {
    conv: conv && {
      outputSize: conv.output.height * conv.output.width * conv.output.channels,
      inputChannels: conv.input.channels,
      kernelArea: conv.kernel.y * conv.kernel.x,
    },
    cells: network.cells.map((cell) => ({
      kind: cell.kind,
      inputSize: cell.inputSize,
      units: cell.units,
      projection: cell.kind === 'lstm' ? cell.projection : null,
    })),
    head: network.head.map(({ inputSize, outputSize }) => ({ inputSize, outputSize })),
  };
}

/** The layout of a recurrent zoo model from its spec (`kws info`); null for other architectures. */
export function layoutOfSpec(spec: ModelSpec): RecurrentLayout | null {
  const labels = spec.labelCount;
  const sizeInfo = spec.modelSizeInfo;
  switch (spec.architecture) {
    case 'basic_lstm': {
      const [units] = sizeNumbers(sizeInfo, 1);
      const cell = { kind: 'lstm' as const, inputSize: spec.coefficients, units, projection: null };
      return { conv: null, cells: [cell], head: [{ inputSize: units, outputSize: labels }] };
    }
    case 'lstm': {
      const [projection, units] = sizeNumbers(sizeInfo, 2);
      const cell = { kind: 'lstm' as const, inputSize: spec.coefficients, units, projection };
      return { conv: null, cells: [cell], head: [{ inputSize: projection, outputSize: labels }] };
    }
    case 'gru': {
      const [layers, units] = sizeNumbers(sizeInfo, 2);
      return {
        conv: null,
        cells: gruStack(layers, spec.coefficients, units),
        head: [{ inputSize: units, outputSize: labels }],
      };
    }
    case 'crnn': {
      const [channels, kt, kf, , , layers, units, fc] = sizeNumbers(sizeInfo, 8);
      const map = convOutput(spec);
      return {
        conv: { outputSize: map.time * map.frequency * map.channels, inputChannels: 1, kernelArea: kt * kf },
        cells: gruStack(layers, map.frequency * channels, units),
        head: [
          { inputSize: units, outputSize: fc },
          { inputSize: fc, outputSize: labels },
        ],
      };
    }
    default:
      return null;
  }
}

function gruStack(layers: number, inputSize: number, units: number): RecurrentLayout['cells'] {
  return Array.from({ length: layers }, (_, i) => ({
    kind: 'gru' as const,
    inputSize: i === 0 ? inputSize : units,
    units,
    projection: null,
  }));
}

export function recurrentBuffers(layout: RecurrentLayout): RecurrentBuffers {
  const { conv, cells, head } = layout;
  const q7Head = head.slice(1);
  return {
    gates: Math.max(...cells.map((cell) => gateCount(cell) * cell.units)),
    zeroBias: Math.max(
      ...cells.map((cell) => (cell.kind === 'lstm' ? Math.max(4 * cell.units, cell.projection ?? 0) : 2 * cell.units)),
    ),
    stepInput: cells[0]!.inputSize,
    headQ15: head[0]!.outputSize,
    colBuffer: Math.max(
      0,
      conv ? convScratch(conv.inputChannels, conv.kernelArea) : 0,
      ...q7Head.map((layer) => layer.inputSize),
    ),
    state: cells.reduce((sum, cell) => sum + cell.units * (cell.kind === 'lstm' ? 2 : 1) + (cell.projection ?? 0), 0),
    convOut: conv ? conv.outputSize : 0,
    headOut: head.slice(0, -1).reduce((sum, layer) => sum + layer.outputSize, 0),
  };
}

/** Bytes the emitted C of a recurrent model declares. */
export function recurrentCMemory(profile: ModelProfile): CMemory {
  const layout = layoutOfSpec(profile.spec);
  if (!layout) throw new Error(`${profile.spec.architecture} is not a recurrent architecture`);
  const buffers = recurrentBuffers(layout);
  const weights = profile.weightBytes + buffers.zeroBias;
  const activationBuffers = 2 * (buffers.gates + buffers.state) + buffers.convOut + buffers.headOut;
  const scratch = 2 * (buffers.gates + buffers.stepInput + buffers.headQ15 + buffers.colBuffer);
  return { weights, activationBuffers, scratch, total: weights + activationBuffers + scratch };
}
