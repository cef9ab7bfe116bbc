/**
 * The training plan's operations, one per layer (batch norm and a following ReLU as one), each
 * laid out at fixed addresses for one batch size: forward, backward, and the packing of its
 * weights into (and gradients out of) the layouts its kernels want.
 *
 * Activations are rows of pixels, channels last, each pixel padded to whole f32x4 vectors with
 * zeros (weights are padded likewise, so the padding stays zero through every pass); only the
 * network input keeps its own layout. Backward passes take the output gradient's address and
 * return the input gradient's, which is the other of two ping-pong buffers (or the same one for
 * in-place passes).
 */
import * as tf from '@tensorflow/tfjs';
import { multiply, multiplyBlocked, type Arena } from './arena.js';
import { depthwiseKernels } from './depthwise.js';
import type { Im2colGeometry } from './kernels.js';
import { Unsupported, type PlanLayer } from './layers.js';

type Variable = tf.LayerVariable;

/** How a flattened activation's features map to storage: feature f at (f ÷ channels)·stride + f mod channels. */
export interface FeatureLayout {
  channels: number;
  stride: number;
}

export interface Activation {
  at: number;
  batch: number;
  height: number;
  width: number;
  /** Logical channels (features, once flattened). */
  channels: number;
  /** Floats per pixel in memory. */
  stride: number;
  /** Set on flattened activations whose storage has padding inside a row. */
  features?: FeatureLayout;
  /** False for the network input (no gradient is computed for it). */
  needsGradient: boolean;
}

export interface BuildContext {
  arena: Arena;
  /** Address of a zeroed region at least as long as any product's output row (read at run time). */
  zeros(): number;
  /** Grows the zeroed region to `floats`. */
  needZeros(floats: number): void;
  /** The gradient buffer that is not `address`. */
  otherGradient(address: number): number;
  /** Every gradient buffer must hold this activation's gradient. */
  needGradient(activation: Activation): void;
  /**
   * A buffer for one pass at a time, shared by every op asking with the same `key` (which must
   * fix the size and which parts of it are ever written: the rest stays zero).
   */
  scratch(key: string, floats: number): number;
}

export interface Op {
  layer: string;
  /** What the profile groups by. */
  kind: string;
  forward(): void;
  /**
   * From the output gradient's address to the input gradient's. `dySum`, when the next op
   * provides it, is the address of the output gradient summed over rows (a bias gradient).
   */
  backward(dy: number, dySum?: number): number;
  /** Where backward leaves its input gradient summed over rows, when it computes that anyway. */
  gradientSum?: number;
  /** Packs the layer's weights (values in tfjs's layout) into the op's buffers. */
  loadWeights?(value: (variable: Variable) => Float32Array): void;
  /** The layer's weight gradients, in tfjs's layout. */
  gradients?(): Map<Variable, Float32Array>;
  /** The batch mean and variance (batch norm only). */
  statistics?(): { mean: Float32Array; variance: Float32Array };
}

export const vectorsFor = (channels: number) => Math.ceil(channels / 4);
const rowsOf = (a: Activation) => a.batch * a.height * a.width;

function activation(ctx: BuildContext, like: Omit<Activation, 'at' | 'stride' | 'needsGradient'>): Activation {
  const stride = vectorsFor(like.channels) * 4;
  const result = {
    ...like,
    stride,
    at: ctx.arena.alloc(like.batch * like.height * like.width * stride),
    needsGradient: true,
  };
  ctx.needGradient(result);
  return result;
}

function requireVectorPixels(layer: string, x: Activation): void {
  if (x.stride % 4 !== 0 || x.features) throw new Unsupported(`${layer}: input layout`);
}

/** Copies `values` [rows][cols] into `target` rows of `stride` floats (padding untouched). */
function packRows(target: Float32Array, values: Float32Array, rows: number, cols: number, stride: number): void {
  for (let r = 0; r < rows; r++) target.set(values.subarray(r * cols, (r + 1) * cols), r * stride);
}

function unpackRows(source: Float32Array, rows: number, cols: number, stride: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(source.subarray(r * stride, r * stride + cols), r * cols);
  return out;
}

/** Weight and bias gradients of a layer computing y = x·W + b over rows. */
interface LinearParams {
  kernel: Variable;
  bias?: Variable;
}

type Built = { op: Op; output: Activation };

export function buildConv(ctx: BuildContext, layer: Extract<PlanLayer, { kind: 'conv' }>, x: Activation): Built {
  const { arena } = ctx;
  const k = arena.kernels;
  const [kh, kw] = layer.kernelSize;
  const [sh, sw] = layer.strides;
  const cin = x.channels;
  const cout = layer.filters;
  if (x.features) throw new Unsupported(`${layer.name}: input layout`);
  const info = tf.backend_util.computeConv2DInfo(
    [x.batch, x.height, x.width, cin],
    [kh, kw, cin, cout],
    [sh, sw],
    1,
    layer.padding,
    undefined,
    false,
    'channelsLast',
  );
  const { top, left } = info.padInfo;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0;
  const y = activation(ctx, { batch: x.batch, height: info.outHeight, width: info.outWidth, channels: cout });
  const pixels = rowsOf(y);
  const nv = vectorsFor(cout);
  const depth = pointwise ? cin : kh * kw * cin;
  const paddedDepth = pointwise ? x.stride : vectorsFor(depth) * 4;
  const weights = arena.alloc(depth * nv * 4);
  const transposed = x.needsGradient ? arena.alloc(cout * paddedDepth) : 0;
  const bias = arena.alloc(nv * 4);
  const dWeights = arena.alloc(depth * nv * 4);
  const dBias = arena.alloc(nv * 4);
  const cols = pointwise ? x.at : arena.alloc(pixels * depth);
  const dCols = !pointwise && x.needsGradient ? arena.alloc(pixels * paddedDepth) : 0;
  const aRow = pointwise ? x.stride * 4 : depth * 4;
  const geometry = (colRow: number): Im2colGeometry => [
    x.batch,
    x.height,
    x.width,
    cin,
    x.stride * 4,
    info.outHeight,
    info.outWidth,
    kh,
    kw,
    sh,
    sw,
    top,
    left,
    colRow,
  ];
  ctx.needZeros(Math.max(nv, paddedDepth / 4) * 4);
  if (x.needsGradient && pointwise) requireVectorPixels(layer.name, x);
  const product: LinearProduct = {
    a: cols,
    aRow,
    rows: pixels,
    depth,
    outputs: cout,
    weights,
    bias,
    dWeights,
    dBias,
    transposed,
    paddedDepth,
  };
  const op: Op = {
    layer: layer.name,
    kind: pointwise ? 'conv 1x1' : `conv ${kh}x${kw}`,
    forward() {
      if (!pointwise) k.im2col(x.at, cols, ...geometry(depth * 4));
      linearForward(ctx, product, y.at);
    },
    backward(dy, dySum) {
      linearWeightGradients(ctx, product, dy, dySum);
      if (!x.needsGradient) return dy;
      const dx = ctx.otherGradient(dy);
      if (pointwise) {
        linearInputGradient(ctx, product, dy, dx);
      } else {
        linearInputGradient(ctx, product, dy, dCols);
        arena.floats(dx, rowsOf(x) * x.stride).fill(0);
        k.col2im(dCols, dx, ...geometry(paddedDepth * 4));
      }
      return dx;
    },
    ...linearParams(ctx, layer, { weights, bias, dWeights, dBias, depth, outputs: cout, transposed, paddedDepth }),
  };
  return { op, output: y };
}

/**
 * y = A·W + b over `rows` rows of A (at `a`, `aRow` bytes apart, `depth` floats used), as conv
 * (A: the image or its im2col columns) and dense layers compute it: W [depth][outputs vectors],
 * Wᵀ [outputs][paddedDepth] at `transposed` for the input gradient, gradients into dWeights, dBias.
 */
interface LinearProduct {
  a: number;
  aRow: number;
  rows: number;
  depth: number;
  outputs: number;
  weights: number;
  bias: number;
  dWeights: number;
  dBias: number;
  transposed: number;
  paddedDepth: number;
}

function linearForward(ctx: BuildContext, p: LinearProduct, y: number): void {
  const vectors = vectorsFor(p.outputs);
  multiply(ctx.arena.kernels, {
    a: p.a,
    aRow: p.aRow,
    aCol: 4,
    b: p.weights,
    bRow: vectors * 16,
    c: y,
    cRow: vectors * 16,
    init: p.bias,
    initRow: 0,
    rows: p.rows,
    vectors,
    depth: p.depth,
  });
}

/** dW = Aᵀ·dy (a long sum over rows: in cache-sized blocks) and db = Σ_rows dy. */
function linearWeightGradients(ctx: BuildContext, p: LinearProduct, dy: number, dySum: number | undefined): void {
  const vectors = vectorsFor(p.outputs);
  multiplyBlocked(ctx.arena.kernels, {
    a: p.a,
    aRow: 4,
    aCol: p.aRow,
    b: dy,
    bRow: vectors * 16,
    c: p.dWeights,
    cRow: vectors * 16,
    init: ctx.zeros(),
    initRow: 0,
    rows: p.depth,
    vectors,
    depth: p.rows,
  });
  biasGradient(ctx.arena, p.dBias, dy, dySum, p.rows, vectors * 16);
}

/** dA = dy·Wᵀ into rows of `paddedDepth` floats at `out`. */
function linearInputGradient(ctx: BuildContext, p: LinearProduct, dy: number, out: number): void {
  multiply(ctx.arena.kernels, {
    a: dy,
    aRow: vectorsFor(p.outputs) * 16,
    aCol: 4,
    b: p.transposed,
    bRow: p.paddedDepth * 4,
    c: out,
    cRow: p.paddedDepth * 4,
    init: ctx.zeros(),
    initRow: 0,
    rows: p.rows,
    vectors: p.paddedDepth / 4,
    depth: p.outputs,
  });
}

/**
 * Weight packing shared by conv and dense layers: W [depth][outputs] into rows of whole
 * vectors, Wᵀ [outputs][paddedDepth] for the input gradient (`row(d)`: where input feature d
 * sits in the input's storage), and the gradients back out.
 */
function linearParams(
  ctx: BuildContext,
  params: LinearParams,
  b: {
    weights: number;
    bias: number;
    dWeights: number;
    dBias: number;
    depth: number;
    outputs: number;
    transposed: number;
    paddedDepth: number;
    row?: (feature: number) => number;
  },
): Pick<Op, 'loadWeights' | 'gradients'> {
  const { arena } = ctx;
  const stride = vectorsFor(b.outputs) * 4;
  const row = b.row ?? ((feature: number) => feature);
  const storedRows = b.row ? b.paddedDepth : b.depth;
  return {
    loadWeights(value) {
      const w = value(params.kernel);
      const packed = arena.floats(b.weights, storedRows * stride);
      for (let d = 0; d < b.depth; d++) packed.set(w.subarray(d * b.outputs, (d + 1) * b.outputs), row(d) * stride);
      if (b.transposed) {
        const t = arena.floats(b.transposed, b.outputs * b.paddedDepth);
        for (let d = 0; d < b.depth; d++) {
          const at = row(d);
          for (let o = 0; o < b.outputs; o++) t[o * b.paddedDepth + at] = w[d * b.outputs + o]!;
        }
      }
      if (params.bias) arena.floats(b.bias, b.outputs).set(value(params.bias));
    },
    gradients() {
      const packed = arena.floats(b.dWeights, storedRows * stride);
      const dw = new Float32Array(b.depth * b.outputs);
      for (let d = 0; d < b.depth; d++)
        dw.set(packed.subarray(row(d) * stride, row(d) * stride + b.outputs), d * b.outputs);
      const grads = new Map([[params.kernel, dw]]);
      if (params.bias) grads.set(params.bias, arena.floats(b.dBias, b.outputs).slice());
      return grads;
    },
  };
}

function sumRows(arena: Arena, acc: number, x: number, rows: number, channelBytes: number): void {
  arena.floats(acc, channelBytes / 4).fill(0);
  arena.loops.sumRows(acc, x, rows, channelBytes);
}

/** Σ_rows dy into `dBias`: a copy of `dySum` when the next op summed it already, else a pass over dy. */
function biasGradient(
  arena: Arena,
  dBias: number,
  dy: number,
  dySum: number | undefined,
  rows: number,
  channelBytes: number,
): void {
  if (dySum === undefined) sumRows(arena, dBias, dy, rows, channelBytes);
  else arena.f32().copyWithin(dBias / 4, dySum / 4, (dySum + channelBytes) / 4);
}

export function buildDense(ctx: BuildContext, layer: Extract<PlanLayer, { kind: 'dense' }>, x: Activation): Built {
  const { arena } = ctx;
  if (x.height !== 1 || x.width !== 1) throw new Unsupported(`${layer.name}: dense over a feature map`);
  const units = layer.units;
  const y = activation(ctx, { batch: x.batch, height: 1, width: 1, channels: units });
  const nv = vectorsFor(units);
  const features = x.features ?? { channels: x.channels, stride: x.channels };
  const row = (f: number) => Math.floor(f / features.channels) * features.stride + (f % features.channels);
  // The storage width of a row of x: every stored float is multiplied (padding by zero weight rows).
  const depth = x.stride;
  const weights = arena.alloc(depth * nv * 4);
  const transposed = x.needsGradient ? arena.alloc(units * depth) : 0;
  const bias = arena.alloc(nv * 4);
  const dWeights = arena.alloc(depth * nv * 4);
  const dBias = arena.alloc(nv * 4);
  if (x.needsGradient) requireVectorPixels(layer.name, { ...x, features: undefined });
  ctx.needZeros(Math.max(nv * 4, depth));
  const product: LinearProduct = {
    a: x.at,
    aRow: depth * 4,
    rows: x.batch,
    depth,
    outputs: units,
    weights,
    bias,
    dWeights,
    dBias,
    transposed,
    paddedDepth: depth,
  };
  const op: Op = {
    layer: layer.name,
    kind: 'dense',
    forward: () => linearForward(ctx, product, y.at),
    backward(dy, dySum) {
      linearWeightGradients(ctx, product, dy, dySum);
      if (!x.needsGradient) return dy;
      const dx = ctx.otherGradient(dy);
      linearInputGradient(ctx, product, dy, dx);
      return dx;
    },
    ...linearParams(ctx, layer, {
      weights,
      bias,
      dWeights,
      dBias,
      depth: x.channels,
      outputs: units,
      transposed,
      paddedDepth: depth,
      row,
    }),
  };
  return { op, output: y };
}

export function buildDepthwise(
  ctx: BuildContext,
  layer: Extract<PlanLayer, { kind: 'depthwise' }>,
  x: Activation,
): Built {
  const { arena } = ctx;
  const k = arena.kernels;
  const [kh, kw] = layer.kernelSize;
  const [sh, sw] = layer.strides;
  const channels = x.channels;
  requireVectorPixels(layer.name, x);
  const info = tf.backend_util.computeConv2DInfo(
    [x.batch, x.height, x.width, channels],
    [kh, kw, channels, 1],
    [sh, sw],
    1,
    layer.padding,
    undefined,
    true,
    'channelsLast',
  );
  const { top, bottom, left, right } = info.padInfo;
  const y = activation(ctx, { batch: x.batch, height: info.outHeight, width: info.outWidth, channels });
  const vectors = x.stride / 4;
  const pixel = x.stride * 4;
  const taps = kh * kw;
  const padded = top + bottom + left + right > 0;
  const height = x.height + top + bottom;
  const width = x.width + left + right;
  const xPadded = padded ? arena.alloc(x.batch * height * width * x.stride) : x.at;
  const weights = arena.alloc(taps * x.stride);
  const rotated = arena.alloc(taps * x.stride);
  const bias = arena.alloc(x.stride);
  const dWeights = arena.alloc(taps * x.stride);
  const dBias = arena.alloc(x.stride);
  const kernels = depthwiseKernels(
    {
      vectors,
      height,
      width,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      filterHeight: kh,
      filterWidth: kw,
      strideHeight: sh,
      strideWidth: sw,
    },
    arena.memory,
  );
  // Input gradient: dY spread to stride 1 and padded so a stride-1 pass with the rotated filter gives x's size.
  const spreadHeight = (info.outHeight - 1) * sh + 1;
  const spreadWidth = (info.outWidth - 1) * sw + 1;
  const gradTop = kh - 1 - top;
  const gradLeft = kw - 1 - left;
  const gradHeight = x.height + kh - 1;
  const gradWidth = x.width + kw - 1;
  if (gradTop < 0 || gradLeft < 0 || gradHeight < gradTop + spreadHeight || gradWidth < gradLeft + spreadWidth)
    throw new Unsupported(`${layer.name}: padding wider than the filter`);
  const dyPadded = x.needsGradient
    ? ctx.scratch(
        `spread dy ${[x.batch, gradHeight, gradWidth, x.stride, gradTop, gradLeft, sh, sw, info.outHeight, info.outWidth].join()}`,
        x.batch * gradHeight * gradWidth * x.stride,
      )
    : 0;
  const transposedKernels = x.needsGradient
    ? depthwiseKernels(
        {
          vectors,
          height: gradHeight,
          width: gradWidth,
          outHeight: x.height,
          outWidth: x.width,
          filterHeight: kh,
          filterWidth: kw,
          strideHeight: 1,
          strideWidth: 1,
        },
        arena.memory,
      )
    : undefined;
  ctx.needZeros(x.stride);
  const op: Op = {
    layer: layer.name,
    kind: `depthwise ${kh}x${kw}`,
    forward() {
      if (padded) {
        for (let n = 0; n < x.batch; n++)
          k.copyRows(
            x.at + n * x.height * x.width * pixel,
            xPadded + ((n * height + top) * width + left) * pixel,
            x.height,
            x.width * pixel,
            x.width * pixel,
            width * pixel,
          );
      }
      kernels.forward(xPadded, weights, bias, y.at, x.batch);
    },
    backward(dy, dySum) {
      arena.floats(dWeights, taps * x.stride).fill(0);
      kernels.filterGradient(xPadded, dy, dWeights, x.batch);
      biasGradient(arena, dBias, dy, dySum, rowsOf(y), pixel);
      if (!transposedKernels) return dy;
      const outImage = info.outHeight * info.outWidth * pixel;
      for (let n = 0; n < x.batch; n++) {
        const image = dyPadded + ((n * gradHeight + gradTop) * gradWidth + gradLeft) * pixel;
        if (sh === 1 && sw === 1) {
          k.copyRows(
            dy + n * outImage,
            image,
            info.outHeight,
            info.outWidth * pixel,
            info.outWidth * pixel,
            gradWidth * pixel,
          );
        } else {
          for (let oh = 0; oh < info.outHeight; oh++)
            k.copyRows(
              dy + n * outImage + oh * info.outWidth * pixel,
              image + oh * sh * gradWidth * pixel,
              info.outWidth,
              pixel,
              pixel,
              sw * pixel,
            );
        }
      }
      const dx = ctx.otherGradient(dy);
      transposedKernels.forward(dyPadded, rotated, ctx.zeros(), dx, x.batch);
      return dx;
    },
    loadWeights(value) {
      const w = value(layer.kernel);
      packRows(arena.floats(weights, taps * x.stride), w, taps, channels, x.stride);
      const r = arena.floats(rotated, taps * x.stride);
      for (let t = 0; t < taps; t++) r.set(w.subarray(t * channels, (t + 1) * channels), (taps - 1 - t) * x.stride);
      if (layer.bias) arena.floats(bias, channels).set(value(layer.bias));
    },
    gradients() {
      const grads = new Map([
        [layer.kernel, unpackRows(arena.floats(dWeights, taps * x.stride), taps, channels, x.stride)],
      ]);
      if (layer.bias) grads.set(layer.bias, arena.floats(dBias, channels).slice());
      return grads;
    },
  };
  return { op, output: y };
}

/** Training-mode batch norm (batch statistics, γ optional), fused with the ReLU that follows it when there is one. */
export function buildBatchNorm(
  ctx: BuildContext,
  layer: Extract<PlanLayer, { kind: 'batchNorm' }>,
  x: Activation,
  withRelu: boolean,
): Built {
  const { arena } = ctx;
  const k = arena.kernels;
  const loops = arena.loops;
  requireVectorPixels(layer.name, x);
  const channels = x.channels;
  const stride = x.stride;
  const bytes = stride * 4;
  const rows = rowsOf(x);
  const y = activation(ctx, { batch: x.batch, height: x.height, width: x.width, channels });
  const gamma = arena.alloc(stride);
  const beta = arena.alloc(stride);
  const mean = arena.alloc(stride);
  const variance = arena.alloc(stride);
  const scale = arena.alloc(stride);
  const shift = arena.alloc(stride);
  const sums = arena.alloc(2 * stride);
  const coefficients = arena.alloc(3 * stride);
  const dGamma = arena.alloc(stride);
  const dBeta = arena.alloc(stride);
  const dxSum = withRelu ? arena.alloc(stride) : undefined;
  const view = (at: number) => arena.floats(at, channels);
  const op: Op = {
    layer: layer.name,
    kind: withRelu ? 'batch norm + relu' : 'batch norm',
    forward() {
      sumRows(arena, mean, x.at, rows, bytes);
      const m = view(mean);
      for (let c = 0; c < channels; c++) m[c]! /= rows;
      arena.floats(variance, stride).fill(0);
      loops.sumSquaredDeviations(variance, x.at, mean, rows, bytes);
      const v = view(variance);
      const g = view(gamma);
      const b = view(beta);
      const s = view(scale);
      const t = view(shift);
      for (let c = 0; c < channels; c++) {
        v[c]! /= rows;
        s[c] = g[c]! / Math.sqrt(v[c]! + layer.epsilon);
        t[c] = b[c]! - m[c]! * s[c]!;
      }
      if (withRelu) k.scaleShiftRelu(x.at, scale, shift, y.at, rows, bytes);
      else loops.scaleShift(x.at, scale, shift, y.at, rows, bytes);
    },
    backward(dy) {
      arena.floats(sums, 2 * stride).fill(0);
      if (withRelu) {
        k.maskedSums(sums, dy, y.at, x.at, rows, bytes);
      } else {
        loops.sumRows(sums, dy, rows, bytes);
        loops.multiplyAccumulate(sums + bytes, dy, x.at, 1, rows, 0, bytes, 0, bytes, bytes);
      }
      const s = arena.floats(sums, 2 * stride);
      const m = view(mean);
      const v = view(variance);
      const g = view(gamma);
      const coefficient = arena.floats(coefficients, 3 * stride);
      const dg = view(dGamma);
      const db = view(dBeta);
      for (let c = 0; c < channels; c++) {
        // dx = γr·(dz − mean(dz) − x̂·mean(dz·x̂)) with r = 1/√(var + ε), x̂ = (x − mean)·r, as a·dz + b·x + d.
        const r = 1 / Math.sqrt(v[c]! + layer.epsilon);
        const sumDz = s[c]!;
        const sumDzX = s[stride + c]!;
        const meanDzXhat = (r * (sumDzX - m[c]! * sumDz)) / rows;
        coefficient[c] = g[c]! * r;
        coefficient[stride + c] = -g[c]! * r * r * meanDzXhat;
        coefficient[2 * stride + c] = g[c]! * r * (r * meanDzXhat * m[c]! - sumDz / rows);
        db[c] = sumDz;
        dg[c] = r * (sumDzX - m[c]! * sumDz);
      }
      const dx = ctx.otherGradient(dy);
      const [a, b, d] = [coefficients, coefficients + bytes, coefficients + 2 * bytes];
      if (dxSum === undefined) {
        loops.combine(dy, x.at, a, b, d, dx, rows, bytes);
      } else {
        arena.floats(dxSum, stride).fill(0);
        k.combineMasked(dy, y.at, x.at, a, b, d, dx, dxSum, rows, bytes);
      }
      return dx;
    },
    gradientSum: dxSum,
    loadWeights(value) {
      if (layer.gamma) view(gamma).set(value(layer.gamma));
      else view(gamma).fill(1);
      if (layer.beta) view(beta).set(value(layer.beta));
    },
    gradients() {
      const grads = new Map<Variable, Float32Array>();
      if (layer.gamma) grads.set(layer.gamma, view(dGamma).slice());
      if (layer.beta) grads.set(layer.beta, view(dBeta).slice());
      return grads;
    },
    statistics: () => ({ mean: view(mean).slice(), variance: view(variance).slice() }),
  };
  return { op, output: y };
}

export function buildRelu(ctx: BuildContext, name: string, x: Activation): Built {
  const k = ctx.arena.kernels;
  const vectors = Math.ceil((rowsOf(x) * x.stride) / 4);
  // In place: no layer's backward pass needs the input of a ReLU (batch norm + ReLU is fused).
  return {
    op: {
      layer: name,
      kind: 'relu',
      forward: () => k.relu(x.at, vectors),
      backward(dy) {
        k.reluMask(dy, x.at, vectors);
        return dy;
      },
    },
    output: x,
  };
}

export function buildGlobalAveragePool(ctx: BuildContext, name: string, x: Activation): Built {
  const { arena } = ctx;
  requireVectorPixels(name, x);
  const pixels = x.height * x.width;
  const bytes = x.stride * 4;
  const y = activation(ctx, { batch: x.batch, height: 1, width: 1, channels: x.channels });
  return {
    op: {
      layer: name,
      kind: 'average pool',
      forward() {
        const out = arena.floats(y.at, x.batch * x.stride);
        out.fill(0);
        for (let n = 0; n < x.batch; n++)
          arena.loops.sumRows(y.at + n * bytes, x.at + n * pixels * bytes, pixels, bytes);
        for (let i = 0; i < out.length; i++) out[i]! /= pixels;
      },
      backward(dy) {
        const g = arena.floats(dy, x.batch * x.stride);
        for (let i = 0; i < g.length; i++) g[i]! /= pixels;
        const dx = ctx.otherGradient(dy);
        // Each image's gradient row to all its pixels: a copy with a source stride of 0.
        for (let n = 0; n < x.batch; n++)
          arena.kernels.copyRows(dy + n * bytes, dx + n * pixels * bytes, pixels, bytes, 0, bytes);
        return dx;
      },
    },
    output: y,
  };
}

/** Flatten and Reshape move no data: the output is a new view of the same memory. */
export function flattened(x: Activation): Activation {
  if (x.height === 1 && x.width === 1) return x;
  return {
    ...x,
    height: 1,
    width: 1,
    channels: x.height * x.width * x.channels,
    stride: x.height * x.width * x.stride,
    features: x.stride === x.channels ? undefined : { channels: x.channels, stride: x.stride },
  };
}

export function reshaped(name: string, x: Activation, shape: number[]): Activation {
  const size = shape.reduce((a, b) => a * b, 1);
  if (x.height !== 1 || x.width !== 1 || x.stride !== x.channels || size !== x.channels)
    throw new Unsupported(`${name}: reshape of a padded activation`);
  if (shape.length === 1) return x;
  if (shape.length !== 3) throw new Unsupported(`${name}: reshape to rank ${shape.length + 1}`);
  const [height, width, channels] = shape as [number, number, number];
  return { ...x, height, width, channels, stride: channels };
}
