/**
 * Model cost from formulas (no tensors, so `kws info` is instant), counted as the Hello Edge
 * paper counts it:
 * - weight bytes: int8 kernels and biases after batch norm is folded into the layer before it
 *   (BN γ/β and moving statistics cost nothing on the device; `params` still counts the
 *   trainable γ/β, as tfjs trains them);
 * - activation bytes: int8, the largest sum of two consecutive buffers (a layer reads one and
 *   writes the next; BN and ReLU work in place), starting from the input fingerprint;
 * - ops = 2 × MACs (element-wise work such as RNN gate products is not counted);
 * - KB = 1000 bytes (DS-CNN S: 22,604 weights + 16,000 activations = 38.6 KB as printed).
 */
import { validateModelSpec, type LayerCost, type ModelSpec } from './registry.js';

export type McuClass = 'S' | 'M' | 'L';

/** The paper's three microcontroller budgets (memory KB, MOps per inference). */
export const MCU_CLASSES: ReadonlyArray<{ name: McuClass; memoryKB: number; mops: number }> = [
  { name: 'S', memoryKB: 80, mops: 6 },
  { name: 'M', memoryKB: 200, mops: 20 },
  { name: 'L', memoryKB: 500, mops: 80 },
];

export interface ModelProfile {
  spec: ModelSpec;
  layers: LayerCost[];
  params: number;
  macs: number;
  ops: number;
  weightBytes: number;
  activationBytes: number;
  memoryBytes: number;
  /** The smallest class whose budgets hold the model, or null when none does. */
  fits: McuClass | null;
}

/** Kilobytes to one decimal, as the paper prints (and compares with) them. */
export function kilobytes(bytes: number): number {
  return Math.round(bytes / 100) / 10;
}

/** Millions to one decimal, as the paper prints ops. */
export function millions(count: number): number {
  return Math.round(count / 1e5) / 10;
}

/**
 * Budgets compare the figures as the paper prints them: DNN S (80,038 B) and GRU M (200,002 B)
 * are its 80.0 KB and 200.0 KB models, designed for the S and M classes.
 */
export function mcuClass(memoryBytes: number, ops: number): McuClass | null {
  const found = MCU_CLASSES.find((c) => kilobytes(memoryBytes) <= c.memoryKB && millions(ops) <= c.mops);
  return found ? found.name : null;
}

export function largestConsecutivePair(buffers: readonly number[]): number {
  let largest = buffers[0] ?? 0;
  for (let i = 1; i < buffers.length; i++) largest = Math.max(largest, buffers[i - 1]! + buffers[i]!);
  return largest;
}

export function profileModel(spec: ModelSpec): ModelProfile {
  const layers = validateModelSpec(spec).costs(spec);
  const sum = (key: 'params' | 'weights' | 'macs') => layers.reduce((total, layer) => total + layer[key], 0);
  const macs = sum('macs');
  const weightBytes = sum('weights');
  const activationBytes = largestConsecutivePair([
    spec.frames * spec.coefficients,
    ...layers.map((layer) => layer.activations),
  ]);
  const memoryBytes = weightBytes + activationBytes;
  return {
    spec,
    layers,
    params: sum('params'),
    macs,
    ops: 2 * macs,
    weightBytes,
    activationBytes,
    memoryBytes,
    fits: mcuClass(memoryBytes, 2 * macs),
  };
}
