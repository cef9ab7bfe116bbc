/**
 * The project's wasm kernels: the convolution gradients tfjs-backend-wasm lacks (so conv models
 * can train at all) and replacements for stock kernels that dominate a DS-CNN training step.
 */
import * as tf from '@tensorflow/tfjs';
import { fastBatchMatMul } from './batch-matmul.js';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from './conv2d-gradients.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-gradients.js';
import { fastMean, fastSum } from './reduce.js';
import { sharingCast, sharingIdentity } from './shared-data.js';
import { tileConfig } from './tile.js';

/** Kernels that stand alone (new ones, or full replacements of slow stock ones). */
const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  tileConfig,
];

/** Kernels that handle the common case themselves and hand the rest to the stock kernel. */
const WRAPPED_KERNELS: ReadonlyArray<[string, (stock: tf.KernelConfig) => tf.KernelConfig]> = [
  [tf.Identity, sharingIdentity],
  [tf.Cast, sharingCast],
  [tf.Sum, fastSum],
  [tf.Mean, fastMean],
  [tf.BatchMatMul, fastBatchMatMul],
];

function replace(config: tf.KernelConfig): void {
  // Replacing a registered kernel needs an explicit unregister; tfjs warns otherwise.
  if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel(config);
}

/** Registers the kernels for backend 'wasm'. Call once: wrapping twice would wrap a wrapper. */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) replace(config);
  for (const [kernelName, wrap] of WRAPPED_KERNELS) {
    const stock = tf.getKernel(kernelName, 'wasm');
    if (!stock)
      throw new Error(
        `tfjs-backend-wasm has no ${kernelName} kernel (is @tensorflow/tfjs-backend-wasm 4.22.0 installed?)`,
      );
    replace(wrap(stock));
  }
}
