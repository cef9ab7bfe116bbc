/**
 * Identity and same-type Cast that share the input's memory instead of copying it, as the cpu
 * backend does. The engine clones every tensor it saves for the backward pass; on stock wasm
 * each clone copied a whole activation (~20 ms per DS-CNN-S step at batch 100).
 */
import * as tf from '@tensorflow/tfjs';
import { WasmContext, type KernelArgs } from './wasm-context.js';

/** Wraps the stock kernel: numeric tensors are shared, anything else goes to `stock`. */
export function sharingIdentity(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs) => {
      const { x } = inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return stock.kernelFunc({ inputs, backend: backend as object, attrs });
      return new WasmContext(backend).share(x);
    },
  };
}

/** Wraps the stock kernel: a cast to the same type is a shared reference, others go to `stock`. */
export function sharingCast(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const { dtype } = attrs as unknown as tf.CastAttrs;
      if (dtype !== x.dtype || dtype === 'string')
        return stock.kernelFunc({ inputs, backend: backend as object, attrs });
      return new WasmContext(backend).share(x);
    },
  };
}
