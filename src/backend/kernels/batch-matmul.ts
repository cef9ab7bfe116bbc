/**
 * BatchMatMul with transposed operands on wasm: stock wasm multiplies transposed operands in a
 * naive loop (~10× slower than XNNPACK); dense and recurrent gradients (dW = xᵀ·dy,
 * dx = dy·Wᵀ) ask for exactly that. Single matrices are transposed explicitly instead, then
 * multiplied on the fast path; batched products go to the stock kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmContext, type KernelArgs } from './wasm-context.js';

const isSingleMatrix = (shape: number[]) => shape.slice(0, -2).every((size) => size === 1);

/** `x` with its last two axes swapped, as a new temporary tensor. */
function swapLastAxes(ctx: WasmContext, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  const transposed = ctx.transpose2d(x, rows, cols);
  return WasmContext.reshaped(transposed, [...x.shape.slice(0, rank - 2), cols, rows]);
}

export function fastBatchMatMul(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const delegate = (x: tf.TensorInfo, y: tf.TensorInfo, ta: boolean, tb: boolean) =>
        stock.kernelFunc({
          inputs: { a: x, b: y },
          backend: backend as object,
          attrs: { ...attrs, transposeA: ta, transposeB: tb },
        }) as tf.TensorInfo;
      if ((!transposeA && !transposeB) || !isSingleMatrix(a.shape) || !isSingleMatrix(b.shape))
        return delegate(a, b, transposeA, transposeB);
      const ctx = new WasmContext(backend);
      try {
        return delegate(transposeA ? swapLastAxes(ctx, a) : a, transposeB ? swapLastAxes(ctx, b) : b, false, false);
      } finally {
        ctx.release();
      }
    },
  };
}
