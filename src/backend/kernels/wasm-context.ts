/**
 * Typed access to the internals of tfjs-backend-wasm 4.22.0 that our kernels need: tensor
 * memory on the wasm heap and the stock kernels (XNNPACK matrix multiply, transpose, forward
 * depthwise convolution) called directly, without going through the engine or the tape.
 *
 * The package version is pinned exactly because none of this is public API.
 */
import * as tf from '@tensorflow/tfjs';
import { simdLoops, type SimdLoops, type WasmMemory } from './simd.js';

export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** What tfjs hands a kernel function (its own `KernelFunc` type wants the concrete backend class). */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The parts of the cpu backend our reference kernels (for tests against wasm) use. */
export interface CpuBackendInternals {
  data: { get(dataId: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** The registration of `kernelFunc` as the wasm kernel `kernelName`. */
export function wasmKernel(kernelName: string, kernelFunc: (args: KernelArgs) => tf.TensorInfo): tf.KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc };
}

/** The parts of `BackendWasm` used here (its published types pull in Emscripten's). */
interface WasmBackendInternals {
  wasm: { asm: { memory: WasmMemory } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  incRef(dataId: tf.DataId): void;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * One kernel invocation's view of the backend. Heap views must be taken again after anything
 * that may allocate (a stock kernel, `alloc`): a growing wasm memory detaches old views.
 */
export class WasmContext {
  private readonly backend: WasmBackendInternals;
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(backend: unknown) {
    this.backend = backend as WasmBackendInternals;
  }

  /** A new tensor on the heap (uninitialised). Kept unless `temporary` is set. */
  alloc(shape: number[], temporary = false, dtype: tf.DataType = 'float32'): tf.TensorInfo {
    const info = this.backend.makeOutput(shape, dtype);
    if (temporary) this.temporaries.push(info);
    return info;
  }

  /** The SIMD loops of simd.ts, bound to this backend's memory. */
  loops(): SimdLoops {
    return this.bind(simdLoops);
  }

  /** A kernel module's exports bound to this backend's memory. */
  bind<Exports>(module: (memory: WasmMemory) => Exports): Exports {
    return module(this.backend.wasm.asm.memory);
  }

  /** Byte address of a tensor's data on the heap (stable: tensors never move). */
  address(info: tf.TensorInfo): number {
    return this.backend.typedArrayFromHeap(info).byteOffset;
  }

  /** A float32 view of a tensor's heap memory, valid until the next allocation. */
  f32(info: tf.TensorInfo): Float32Array {
    if (info.dtype !== 'float32') throw new Error(`wasm training kernels expect float32 tensors, got ${info.dtype}`);
    return this.backend.typedArrayFromHeap(info) as Float32Array;
  }

  /** A view of a float32, int32 or bool tensor's heap memory, valid until the next allocation. */
  typed(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
    return this.backend.typedArrayFromHeap(info);
  }

  /** A second reference to `info`'s memory (tensors are immutable, so sharing is safe). */
  share(info: tf.TensorInfo): tf.TensorInfo {
    this.backend.incRef(info.dataId);
    return { dataId: info.dataId, shape: info.shape, dtype: info.dtype };
  }

  /** The same memory seen with another shape (no copy); the caller must not dispose it separately. */
  static reshaped(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return { dataId: info.dataId, shape, dtype: info.dtype };
  }

  /** Runs a stock wasm kernel; its result is temporary unless `keep` is set. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}, keep = false): tf.TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel`);
    const result = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as tf.TensorInfo;
    if (!keep) this.temporaries.push(result);
    return result;
  }

  /** `a [m, k] × b [k, n]` through XNNPACK's fully-connected operator (the fast, untransposed path). */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo, m: number, k: number, n: number, keep = false): tf.TensorInfo {
    const product = this.run(
      tf.BatchMatMul,
      { a: WasmContext.reshaped(a, [1, m, k]), b: WasmContext.reshaped(b, [1, k, n]) },
      { transposeA: false, transposeB: false },
      keep,
    );
    return WasmContext.reshaped(product, [m, n]);
  }

  /** `x [rows, cols]` transposed to `[cols, rows]` (wasm's BatchMatMul is ~10× slower when asked to transpose). */
  transpose2d(x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
    return this.run(tf.Transpose, { x: WasmContext.reshaped(x, [rows, cols]) }, { perm: [1, 0] });
  }

  /** Stock forward depthwise convolution (XNNPACK), stride 1, explicit padding. */
  depthwiseConv(x: tf.TensorInfo, filter: tf.TensorInfo, pad: ExplicitPadding, keep = false): tf.TensorInfo {
    return this.run(
      tf.DepthwiseConv2dNative,
      { x, filter },
      { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' },
      keep,
    );
  }

  /** Frees every temporary of this invocation (call in `finally`). */
  release(): void {
    for (const info of this.temporaries) this.backend.disposeData(info.dataId);
    this.temporaries.length = 0;
  }
}
