/**
 * Fused training-mode batch norm without scale (slim's `center=True, scale=False`, as DS-CNN
 * uses it) over all axes but the last: batch statistics, normalisation and the gradient each in
 * two or three passes over the activation. Composed from tfjs ops the same layer costs ~25
 * full-size tensor ops per layer per step (moments, broadcasts and their gradients).
 *
 * Kernels are registered for wasm (SIMD loops of simd.ts on the heap when the channel count is a
 * multiple of 4, else the plain loops below) and cpu (the plain loops).
 */
import * as tf from '@tensorflow/tfjs';
import { WasmContext, type CpuBackendInternals, type KernelArgs } from './wasm-context.js';

export const BATCH_NORM_FORWARD = 'KwsBatchNormTraining';
export const BATCH_NORM_BACKWARD = 'KwsBatchNormTrainingGrad';

export interface BatchNormAttrs {
  epsilon: number;
}

/** Rows summed per pass (fewer read-modify-writes of the per-channel accumulators). */
const ROWS_PER_PASS = 4;

/** Per-channel mean and (biased) variance of x viewed as [rows, channels], two-pass for accuracy. */
export function channelMoments(x: Float32Array, channels: number, mean: Float32Array, variance: Float32Array): void {
  const rows = x.length / channels;
  const c4 = 4 * channels;
  const acc = new Float64Array(channels);
  let r = 0;
  let k = 0;
  for (; r + ROWS_PER_PASS <= rows; r += ROWS_PER_PASS, k += c4) {
    for (let c = 0; c < channels; c++) {
      const i = k + c;
      acc[c] = acc[c]! + x[i]! + x[i + channels]! + x[i + 2 * channels]! + x[i + 3 * channels]!;
    }
  }
  for (; r < rows; r++, k += channels) for (let c = 0; c < channels; c++) acc[c] = acc[c]! + x[k + c]!;
  for (let c = 0; c < channels; c++) mean[c] = acc[c]! / rows;

  acc.fill(0);
  r = 0;
  k = 0;
  for (; r + ROWS_PER_PASS <= rows; r += ROWS_PER_PASS, k += c4) {
    for (let c = 0; c < channels; c++) {
      const m = mean[c]!;
      const i = k + c;
      const d0 = x[i]! - m;
      const d1 = x[i + channels]! - m;
      const d2 = x[i + 2 * channels]! - m;
      const d3 = x[i + 3 * channels]! - m;
      acc[c] = acc[c]! + d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
    }
  }
  for (; r < rows; r++, k += channels) {
    for (let c = 0; c < channels; c++) {
      const d = x[k + c]! - mean[c]!;
      acc[c] = acc[c]! + d * d;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] = acc[c]! / rows;
}

/** y = (x − mean) / √(variance + ε) + β, as one multiply-add per element. */
export function normalize(
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
): void {
  const channels = mean.length;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = 1 / Math.sqrt(variance[c]! + epsilon);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  for (let k = 0; k < x.length; k += channels) {
    for (let c = 0; c < channels; c++) y[k + c] = x[k + c]! * scale[c]! + shift[c]!;
  }
}

/**
 * Gradients of y = x̂ + β through the batch statistics: dβ = Σ dy and
 * dx = r·(dy − mean(dy) − x̂·mean(dy·x̂)) with r = 1/√(var + ε), x̂ = (x − mean)·r,
 * folded into dx = a·dy + b·x + d per channel.
 */
export function normalizeGradient(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  dx: Float32Array,
  dBeta: Float32Array,
): void {
  const channels = mean.length;
  const rows = x.length / channels;
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  for (let k = 0; k < x.length; k += channels) {
    for (let c = 0; c < channels; c++) {
      const g = dy[k + c]!;
      sumDy[c] = sumDy[c]! + g;
      sumDyX[c] = sumDyX[c]! + g * x[k + c]!;
    }
  }
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  const d = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const r = 1 / Math.sqrt(variance[c]! + epsilon);
    const m = mean[c]!;
    const meanDy = sumDy[c]! / rows;
    // mean(dy·x̂) = r·(mean(dy·x) − m·mean(dy))
    const meanDyXhat = (r * (sumDyX[c]! - m * sumDy[c]!)) / rows;
    a[c] = r;
    b[c] = -r * r * meanDyXhat;
    d[c] = -r * meanDy + m * r * r * meanDyXhat;
    dBeta[c] = sumDy[c]!;
  }
  for (let k = 0; k < x.length; k += channels) {
    for (let c = 0; c < channels; c++) dx[k + c] = a[c]! * dy[k + c]! + b[c]! * x[k + c]! + d[c]!;
  }
}

/** SIMD needs whole f32x4 vectors per pixel. */
const simdFits = (channels: number) => channels % 4 === 0;

function wasmForward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, beta } = inputs as { x: tf.TensorInfo; beta: tf.TensorInfo };
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const channels = x.shape[x.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const ctx = new WasmContext(backend);
  try {
    const y = ctx.alloc(x.shape);
    const mean = ctx.alloc([channels]);
    const variance = ctx.alloc([channels]);
    if (!simdFits(channels)) {
      const xs = ctx.f32(x);
      channelMoments(xs, channels, ctx.f32(mean), ctx.f32(variance));
      normalize(xs, ctx.f32(mean), ctx.f32(variance), ctx.f32(beta), epsilon, ctx.f32(y));
      return [y, mean, variance];
    }
    const scaleShift = ctx.alloc([2, channels], true);
    const loops = ctx.loops();
    const bytes = channels * 4;
    ctx.f32(mean).fill(0);
    loops.sumRows(ctx.address(mean), ctx.address(x), rows, bytes);
    const m = ctx.f32(mean);
    for (let c = 0; c < channels; c++) m[c]! /= rows;
    ctx.f32(variance).fill(0);
    loops.sumSquaredDeviations(ctx.address(variance), ctx.address(x), ctx.address(mean), rows, bytes);
    const v = ctx.f32(variance);
    const b = ctx.f32(beta);
    const ss = ctx.f32(scaleShift);
    for (let c = 0; c < channels; c++) {
      v[c]! /= rows;
      const scale = 1 / Math.sqrt(v[c]! + epsilon);
      ss[c] = scale;
      ss[channels + c] = b[c]! - m[c]! * scale;
    }
    const at = ctx.address(scaleShift);
    loops.scaleShift(ctx.address(x), at, at + bytes, ctx.address(y), rows, bytes);
    return [y, mean, variance];
  } finally {
    ctx.release();
  }
}

function wasmBackward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, mean, variance } = inputs as Record<'dy' | 'x' | 'mean' | 'variance', tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const channels = mean.shape[0]!;
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const ctx = new WasmContext(backend);
  try {
    const dx = ctx.alloc(x.shape);
    const dBeta = ctx.alloc([channels]);
    if (!simdFits(channels)) {
      normalizeGradient(
        ctx.f32(dy),
        ctx.f32(x),
        ctx.f32(mean),
        ctx.f32(variance),
        epsilon,
        ctx.f32(dx),
        ctx.f32(dBeta),
      );
      return [dx, dBeta];
    }
    // Per channel: Σdy, Σdy·x, then the coefficients of dx = a·dy + b·x + d.
    const scratch = ctx.alloc([5, channels], true);
    const loops = ctx.loops();
    const bytes = channels * 4;
    const at = ctx.address(scratch);
    ctx.f32(scratch).fill(0, 0, 2 * channels);
    loops.sumRows(at, ctx.address(dy), rows, bytes);
    loops.multiplyAccumulate(at + bytes, ctx.address(dy), ctx.address(x), 1, rows, 0, bytes, 0, bytes, bytes);
    const s = ctx.f32(scratch);
    const m = ctx.f32(mean);
    const v = ctx.f32(variance);
    const db = ctx.f32(dBeta);
    for (let c = 0; c < channels; c++) {
      const r = 1 / Math.sqrt(v[c]! + epsilon);
      const sumDy = s[c]!;
      const meanDy = sumDy / rows;
      const meanDyXhat = (r * (s[channels + c]! - m[c]! * sumDy)) / rows;
      s[2 * channels + c] = r;
      s[3 * channels + c] = -r * r * meanDyXhat;
      s[4 * channels + c] = -r * meanDy + m[c]! * r * r * meanDyXhat;
      db[c] = sumDy;
    }
    loops.combine(
      ctx.address(dy),
      ctx.address(x),
      at + 2 * bytes,
      at + 3 * bytes,
      at + 4 * bytes,
      ctx.address(dx),
      rows,
      bytes,
    );
    return [dx, dBeta];
  } finally {
    ctx.release();
  }
}

function cpuForward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, beta } = inputs as { x: tf.TensorInfo; beta: tf.TensorInfo };
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const cpu = backend as CpuBackendInternals;
  const read = (info: tf.TensorInfo) => cpu.data.get(info.dataId).values as Float32Array;
  const channels = x.shape[x.shape.length - 1]!;
  const xs = read(x);
  const y = new Float32Array(xs.length);
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  channelMoments(xs, channels, mean, variance);
  normalize(xs, mean, variance, read(beta), epsilon, y);
  return [
    cpu.makeTensorInfo(x.shape, 'float32', y),
    cpu.makeTensorInfo([channels], 'float32', mean),
    cpu.makeTensorInfo([channels], 'float32', variance),
  ];
}

function cpuBackward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, mean, variance } = inputs as Record<'dy' | 'x' | 'mean' | 'variance', tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const cpu = backend as CpuBackendInternals;
  const read = (info: tf.TensorInfo) => cpu.data.get(info.dataId).values as Float32Array;
  const xs = read(x);
  const dx = new Float32Array(xs.length);
  const dBeta = new Float32Array(mean.shape[0]!);
  normalizeGradient(read(dy), xs, read(mean), read(variance), epsilon, dx, dBeta);
  return [cpu.makeTensorInfo(x.shape, 'float32', dx), cpu.makeTensorInfo(mean.shape, 'float32', dBeta)];
}

export const BATCH_NORM_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: BATCH_NORM_FORWARD, backendName: 'wasm', kernelFunc: wasmForward },
  { kernelName: BATCH_NORM_BACKWARD, backendName: 'wasm', kernelFunc: wasmBackward },
  { kernelName: BATCH_NORM_FORWARD, backendName: 'cpu', kernelFunc: cpuForward },
  { kernelName: BATCH_NORM_BACKWARD, backendName: 'cpu', kernelFunc: cpuBackward },
];
