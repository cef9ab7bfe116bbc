/**
 * A few channel-wise loops as WebAssembly SIMD (f32x4), assembled here at load time and run on
 * tfjs-backend-wasm's own memory, so they read and write tensors in place. They are the inner
 * loops of the depthwise filter gradient, the fused batch norm and the reductions, which in
 * plain JavaScript ran at well under one multiply-add per nanosecond.
 *
 * All pointers and strides are in bytes; `channelBytes` (4 × channels) must be a multiple of 16.
 */
import {
  add,
  f32x4Add,
  f32x4Mul,
  f32x4Sub,
  forLoop,
  get,
  i32,
  kernelModule,
  load,
  mul,
  set,
  store,
  type Code,
  type FunctionDef,
  type WasmMemory,
} from '../../wasm/assembler.js';

export type { WasmMemory } from '../../wasm/assembler.js';

/** The exported loops, operating on the memory they were instantiated with. */
export interface SimdLoops {
  /**
   * acc[c] += Σ_{r<rows, k<cols} a[r·aRow + k·aCol][c] · b[r·bRow + k·bCol][c]
   * (a strided 2-D set of pixels, each pixel a run of channels).
   */
  multiplyAccumulate(
    acc: number,
    a: number,
    b: number,
    rows: number,
    cols: number,
    aRow: number,
    aCol: number,
    bRow: number,
    bCol: number,
    channelBytes: number,
  ): void;
  /** acc[c] += Σ_r a[r][c] over `rows` contiguous pixels. */
  sumRows(acc: number, a: number, rows: number, channelBytes: number): void;
  /** acc[c] += Σ_r (a[r][c] − mean[c])². */
  sumSquaredDeviations(acc: number, a: number, mean: number, rows: number, channelBytes: number): void;
  /** y[r][c] = x[r][c] · scale[c] + shift[c]. */
  scaleShift(x: number, scale: number, shift: number, y: number, rows: number, channelBytes: number): void;
  /** out[r][c] = p[r][c] · pScale[c] + q[r][c] · qScale[c] + shift[c]. */
  combine(
    p: number,
    q: number,
    pScale: number,
    qScale: number,
    shift: number,
    out: number,
    rows: number,
    channelBytes: number,
  ): void;
}

/** byte offset `o` within the current pixel: the channel loop, 16 bytes (4 floats) at a time. */
function channelLoop(o: number, channelBytes: number, body: Code): Code {
  return forLoop(o, i32(0), get(channelBytes), i32(16), body);
}

// multiplyAccumulate(acc0, a1, b2, rows3, cols4, aRow5, aCol6, bRow7, bCol8, cb9); r10 k11 o12 pa13 pb14
const multiplyAccumulate: FunctionDef<keyof SimdLoops> = {
  exportName: 'multiplyAccumulate',
  params: 10,
  i32Locals: 5,
  v128Locals: 0,
  body: forLoop(10, i32(0), get(3), i32(1), [
    ...add(get(1), mul(get(10), get(5))),
    ...set(13),
    ...add(get(2), mul(get(10), get(7))),
    ...set(14),
    ...forLoop(11, i32(0), get(4), i32(1), [
      ...channelLoop(
        12,
        9,
        store(
          add(get(0), get(12)),
          f32x4Add(load(add(get(0), get(12))), f32x4Mul(load(add(get(13), get(12))), load(add(get(14), get(12))))),
        ),
      ),
      ...add(get(13), get(6)),
      ...set(13),
      ...add(get(14), get(8)),
      ...set(14),
    ]),
  ]),
};

// sumRows(acc0, a1, rows2, cb3); r4 o5 pa6
const sumRows: FunctionDef<keyof SimdLoops> = {
  exportName: 'sumRows',
  params: 4,
  i32Locals: 3,
  v128Locals: 0,
  body: [
    ...get(1),
    ...set(6),
    ...forLoop(4, i32(0), get(2), i32(1), [
      ...channelLoop(5, 3, store(add(get(0), get(5)), f32x4Add(load(add(get(0), get(5))), load(add(get(6), get(5)))))),
      ...add(get(6), get(3)),
      ...set(6),
    ]),
  ],
};

// sumSquaredDeviations(acc0, a1, mean2, rows3, cb4); r5 o6 pa7; d8 (v128)
const sumSquaredDeviations: FunctionDef<keyof SimdLoops> = {
  exportName: 'sumSquaredDeviations',
  params: 5,
  i32Locals: 3,
  v128Locals: 1,
  body: [
    ...get(1),
    ...set(7),
    ...forLoop(5, i32(0), get(3), i32(1), [
      ...channelLoop(6, 4, [
        ...f32x4Sub(load(add(get(7), get(6))), load(add(get(2), get(6)))),
        ...set(8),
        ...store(add(get(0), get(6)), f32x4Add(load(add(get(0), get(6))), f32x4Mul(get(8), get(8)))),
      ]),
      ...add(get(7), get(4)),
      ...set(7),
    ]),
  ],
};

// scaleShift(x0, scale1, shift2, y3, rows4, cb5); r6 o7 px8 py9
const scaleShift: FunctionDef<keyof SimdLoops> = {
  exportName: 'scaleShift',
  params: 6,
  i32Locals: 4,
  v128Locals: 0,
  body: [
    ...get(0),
    ...set(8),
    ...get(3),
    ...set(9),
    ...forLoop(6, i32(0), get(4), i32(1), [
      ...channelLoop(
        7,
        5,
        store(
          add(get(9), get(7)),
          f32x4Add(f32x4Mul(load(add(get(8), get(7))), load(add(get(1), get(7)))), load(add(get(2), get(7)))),
        ),
      ),
      ...add(get(8), get(5)),
      ...set(8),
      ...add(get(9), get(5)),
      ...set(9),
    ]),
  ],
};

// combine(p0, q1, pScale2, qScale3, shift4, out5, rows6, cb7); r8 o9 pp10 pq11 po12
const combine: FunctionDef<keyof SimdLoops> = {
  exportName: 'combine',
  params: 8,
  i32Locals: 5,
  v128Locals: 0,
  body: [
    ...get(0),
    ...set(10),
    ...get(1),
    ...set(11),
    ...get(5),
    ...set(12),
    ...forLoop(8, i32(0), get(6), i32(1), [
      ...channelLoop(
        9,
        7,
        store(
          add(get(12), get(9)),
          f32x4Add(
            f32x4Add(
              f32x4Mul(load(add(get(10), get(9))), load(add(get(2), get(9)))),
              f32x4Mul(load(add(get(11), get(9))), load(add(get(3), get(9)))),
            ),
            load(add(get(4), get(9))),
          ),
        ),
      ),
      ...add(get(10), get(7)),
      ...set(10),
      ...add(get(11), get(7)),
      ...set(11),
      ...add(get(12), get(7)),
      ...set(12),
    ]),
  ],
};

/** The loops bound to `memory` (compiled once, instantiated once per memory). */
export const simdLoops: (memory: WasmMemory) => SimdLoops = kernelModule<SimdLoops>([
  multiplyAccumulate,
  sumRows,
  sumSquaredDeviations,
  scaleShift,
  combine,
]);
