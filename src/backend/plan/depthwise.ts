/**
 * Depthwise convolution (channel multiplier 1) over an input padded with zeros, so every filter
 * tap lands inside it. Each kernel is assembled for one layer's geometry: every tap and channel
 * offset is then a constant in the instruction, and the loops run over pixels only. The input
 * gradient is the same forward kernel run over the padded (and, for strides, spread-out) output
 * gradient with the filter rotated by 180°.
 */
import {
  add,
  f32x4Add,
  f32x4Mul,
  forLoop,
  get,
  i32,
  kernelModule,
  load,
  set,
  store,
  type Code,
  type FunctionDef,
  type WasmMemory,
} from '../../wasm/assembler.js';
import { kernelFunction } from './wasm-code.js';

export interface DepthwiseGeometry {
  /** Channels rounded up to whole vectors. */
  vectors: number;
  /** Padded input size. */
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
}

export interface DepthwiseKernels {
  /** y[n, oh, ow] = bias + Σ_taps x[n, oh·sh + i, ow·sw + j] · w[i, j] (x the padded input). */
  forward(x: number, w: number, bias: number, y: number, batch: number): void;
  /** dw[i, j] += Σ_pixels x[n, oh·sh + i, ow·sw + j] · dy[n, oh, ow]. */
  filterGradient(x: number, dy: number, dw: number, batch: number): void;
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

/** Widest output row whose pixels are unrolled (DS-CNN's feature maps are 5 to 10 wide). */
const MAX_UNROLLED_WIDTH = 12;

const mulConstant = (local: number, factor: number): Code => [...get(local), ...i32(factor), 0x6c];

function depthwiseFunctions(g: DepthwiseGeometry): FunctionDef[] {
  const pixel = g.vectors * 16;
  const rowBytes = g.width * pixel;
  const imageBytes = g.height * rowBytes;
  const outRowBytes = g.outWidth * pixel;
  const taps = range(g.filterHeight).flatMap((i) => range(g.filterWidth).map((j) => i * rowBytes + j * pixel));
  /** Output rows this narrow are unrolled: every pixel's offsets become constants too. */
  const unrolled = g.outWidth <= MAX_UNROLLED_WIDTH;
  /**
   * One output row: `perPixel(windowOffset, outOffset)` for each pixel, `window` pointing at the
   * input under tap (0, 0) of the row's first pixel and `out` at that pixel; both advance.
   */
  const row = (
    l: { ow: number; window: number; out: number },
    perPixel: (windowOffset: number, outOffset: number) => Code,
  ): Code =>
    unrolled
      ? range(g.outWidth).flatMap((ow) => perPixel(ow * g.strideWidth * pixel, ow * pixel))
      : forLoop(l.ow, i32(0), i32(g.outWidth), i32(1), [
          ...perPixel(0, 0),
          ...add(get(l.window), i32(g.strideWidth * pixel)),
          ...set(l.window),
          ...add(get(l.out), i32(pixel)),
          ...set(l.out),
        ]);
  /** For each image and output row: `body` with `rowWindow` at the row's first input pixel and `rowOut` at its first output. */
  const rows = (
    l: { n: number; oh: number; batch: number; image: number; imageOut: number; rowWindow: number; rowOut: number },
    body: Code,
  ): Code =>
    forLoop(l.n, i32(0), get(l.batch), i32(1), [
      ...forLoop(l.oh, i32(0), i32(g.outHeight), i32(1), [
        ...add(get(l.image), mulConstant(l.oh, g.strideHeight * rowBytes)),
        ...set(l.rowWindow),
        ...add(get(l.imageOut), mulConstant(l.oh, outRowBytes)),
        ...set(l.rowOut),
        ...body,
      ]),
      ...add(get(l.image), i32(imageBytes)),
      ...set(l.image),
      ...add(get(l.imageOut), i32(g.outHeight * outRowBytes)),
      ...set(l.imageOut),
    ]);
  const walkLocals = ['n', 'oh', 'ow', 'image', 'imageOut', 'rowWindow', 'rowOut', 'window', 'out'] as const;
  const forward = kernelFunction('forward', ['x', 'w', 'bias', 'y', 'batch'], walkLocals, ['acc'], (l) => {
    const perPixel = (windowOffset: number, outOffset: number) =>
      range(g.vectors).flatMap((v) => [
        ...load(get(l.bias), v * 16),
        ...set(l.acc),
        ...taps.flatMap((tap, t) => [
          ...f32x4Add(
            get(l.acc),
            f32x4Mul(load(get(l.window), windowOffset + tap + v * 16), load(get(l.w), t * pixel + v * 16)),
          ),
          ...set(l.acc),
        ]),
        ...store(get(l.out), get(l.acc), outOffset + v * 16),
      ]);
    return [
      ...get(l.x),
      ...set(l.image),
      ...get(l.y),
      ...set(l.imageOut),
      ...rows({ ...l, batch: l.batch }, [
        ...get(l.rowWindow),
        ...set(l.window),
        ...get(l.rowOut),
        ...set(l.out),
        ...row(l, perPixel),
      ]),
    ];
  });
  const accumulators = taps.map((_, t) => `acc${t}`);
  const filterGradient = kernelFunction(
    'filterGradient',
    ['x', 'dy', 'dw', 'batch'],
    [...walkLocals, 'v'],
    [...accumulators, 'g'],
    (local: Record<string, number>) => {
      const l = local as Record<(typeof walkLocals)[number] | 'x' | 'dy' | 'dw' | 'batch' | 'v', number>;
      const acc = (t: number) => local[`acc${t}`]!;
      const perPixel = (windowOffset: number, outOffset: number) => [
        ...load(get(l.out), outOffset),
        ...set(local.g!),
        ...taps.flatMap((tap, t) => [
          ...f32x4Add(get(acc(t)), f32x4Mul(load(get(l.window), windowOffset + tap), get(local.g!))),
          ...set(acc(t)),
        ]),
      ];
      // Row by row, every channel block in turn: the row's three input rows and gradient stay in L1.
      return [
        ...get(l.x),
        ...set(l.image),
        ...get(l.dy),
        ...set(l.imageOut),
        ...rows(l, [
          ...forLoop(l.v, i32(0), i32(pixel), i32(16), [
            ...taps.flatMap((_, t) => [...load(add(get(l.dw), get(l.v)), t * pixel), ...set(acc(t))]),
            ...add(get(l.rowWindow), get(l.v)),
            ...set(l.window),
            ...add(get(l.rowOut), get(l.v)),
            ...set(l.out),
            ...row(l, perPixel),
            ...taps.flatMap((_, t) => store(add(get(l.dw), get(l.v)), get(acc(t)), t * pixel)),
          ]),
        ]),
      ];
    },
  );
  return [forward, filterGradient];
}

const compiled = new Map<string, (memory: WasmMemory) => DepthwiseKernels>();

/** The kernels for geometry `g` bound to `memory` (assembled once per geometry). */
export function depthwiseKernels(g: DepthwiseGeometry, memory: WasmMemory): DepthwiseKernels {
  const key = JSON.stringify(g);
  let bind = compiled.get(key);
  if (!bind) {
    bind = kernelModule<DepthwiseKernels>(depthwiseFunctions(g));
    compiled.set(key, bind);
  }
  return bind(memory);
}
