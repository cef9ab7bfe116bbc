/**
 * What every architecture file provides (kws_streaming style: one model per file, one table):
 * the meaning of its `model_size_info` and a cost breakdown computed from formulas alone, so
 * `kws info`, presets and usage errors need no TensorFlow.js. The tfjs graphs are in build/.
 */
import { UsageError } from '../errors.js';

export const ARCHITECTURE_NAMES = ['dnn', 'cnn', 'basic_lstm', 'lstm', 'gru', 'crnn', 'ds_cnn'] as const;
export type Architecture = (typeof ARCHITECTURE_NAMES)[number];

export interface ModelSpec {
  architecture: Architecture;
  modelSizeInfo: number[];
  /** Feature frames per clip (time axis). */
  frames: number;
  /** Coefficients per frame (frequency axis). */
  coefficients: number;
  labelCount: number;
}

/**
 * One layer as a deployment sees it: batch norm folded into the layer before it, ReLU in place.
 * `params` counts what tfjs trains (BN γ/β included, BN moving statistics not); `weights`
 * counts the int8 values a device stores (kernel + bias after folding).
 */
export interface LayerCost {
  name: string;
  params: number;
  weights: number;
  macs: number;
  /**
   * Int8 activation buffer the layer writes. Recurrent layers report their per-step working
   * set (gate pre-activations), as the paper's memory column does.
   */
  activations: number;
  /** q15 values of scratch the legacy CMSIS-NN kernel for this layer needs (0 where none or no kernel). */
  scratch: number;
}

export interface ArchitectureFamily {
  readonly name: Architecture;
  /** What the numbers mean, e.g. "12 numbers: c1 kt1 kf1 st1 sf1 c2 kt2 kf2 st2 sf2 linear fc". */
  readonly sizeInfoHelp: string;
  /** Throws a UsageError unless `sizeInfo` has the right count of positive whole numbers. */
  validate(sizeInfo: readonly number[]): void;
  /** Layer costs from formulas; throws a UsageError when a kernel does not fit the input. */
  costs(spec: ModelSpec): LayerCost[];
}

/**
 * Shared check: positive whole numbers, exactly `count` of them (or at least one when `count`
 * is omitted), with the family's help text in the message.
 */
export function requireSizeInfo(name: Architecture, help: string, sizeInfo: readonly number[], count?: number): void {
  if (count === undefined ? sizeInfo.length === 0 : sizeInfo.length !== count) {
    const given = sizeInfo.length === 0 ? '' : ` (--model-size-info ${sizeInfo.join(' ')})`;
    throw new UsageError(`${name} takes ${help}; got ${sizeInfo.length}${given}`);
  }
  const bad = sizeInfo.find((n) => !Number.isInteger(n) || n < 1);
  if (bad !== undefined) {
    throw new UsageError(
      `${name} --model-size-info numbers must be whole numbers of at least 1 (got ${bad}); it takes ${help}`,
    );
  }
}

/** Output length of a VALID convolution: ceil((in - k + 1) / s), as TF computes it. */
export function validOutput(layer: string, axis: string, input: number, kernel: number, stride: number): number {
  const out = Math.ceil((input - kernel + 1) / stride);
  if (out < 1) {
    throw new UsageError(
      `${layer}: kernel ${axis} ${kernel} is larger than its input (${input}); use a smaller --model-size-info kernel`,
    );
  }
  return out;
}

/** Output length of a SAME convolution: ceil(in / s). */
export function sameOutput(input: number, stride: number): number {
  return Math.ceil(input / stride);
}

/**
 * A fully connected layer; batch norm after it adds `batchNormParams` trainable values and nothing
 * once folded. `arm_fully_connected_q7` expands its input vector to q15 in scratch.
 */
export function denseCost(name: string, inputs: number, units: number, batchNormParams = 0): LayerCost {
  const weights = inputs * units + units;
  return {
    name,
    params: weights + batchNormParams,
    weights,
    macs: inputs * units,
    activations: units,
    scratch: inputs,
  };
}

/** A tuple of `N` numbers, e.g. `SizeNumbers<3>` is `[number, number, number]`. */
export type SizeNumbers<N extends number, Acc extends number[] = []> = Acc['length'] extends N
  ? Acc
  : SizeNumbers<N, [...Acc, number]>;

/**
 * `count` numbers of `model_size_info` from `offset`, as a tuple to destructure. The family's
 * `validate` has told the user about a wrong count already; reaching here short is a bug.
 */
export function sizeNumbers<N extends number>(sizeInfo: readonly number[], count: N, offset = 0): SizeNumbers<N> {
  const numbers = sizeInfo.slice(offset, offset + count);
  if (numbers.length !== count) {
    throw new Error(`model_size_info holds ${sizeInfo.length} numbers; ${offset + count} are needed`);
  }
  return numbers as SizeNumbers<N>;
}
