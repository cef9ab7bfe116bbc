/**
 * A few channel-wise loops as WebAssembly SIMD (f32x4), assembled here at load time and run on
 * tfjs-backend-wasm's own memory, so they read and write tensors in place. They are the inner
 * loops of the depthwise filter gradient, the fused batch norm and the reductions, which in
 * plain JavaScript ran at well under one multiply-add per nanosecond.
 *
 * All pointers and strides are in bytes; `channelBytes` (4 × channels) must be a multiple of 16.
 */

/** The exported loops, operating on the memory they were instantiated with. */
export interface SimdLoops {
  /**
   * acc[c] += Σ_{r<rows, k<cols} a[r·aRow + k·aCol][c] · b[r·bRow + k·bCol][c]
   * (a strided 2-D set of pixels, each pixel a run of channels).
   */
  multiplyAccumulate(acc: number, a: number, b: number, rows: number, cols: number, aRow: number, aCol: number, bRow: number, bCol: number, channelBytes: number): void;
  /** acc[c] += Σ_r a[r][c] over `rows` contiguous pixels. */
  sumRows(acc: number, a: number, rows: number, channelBytes: number): void;
  /** acc[c] += Σ_r (a[r][c] − mean[c])². */
  sumSquaredDeviations(acc: number, a: number, mean: number, rows: number, channelBytes: number): void;
  /** y[r][c] = x[r][c] · scale[c] + shift[c]. */
  scaleShift(x: number, scale: number, shift: number, y: number, rows: number, channelBytes: number): void;
  /** out[r][c] = p[r][c] · pScale[c] + q[r][c] · qScale[c] + shift[c]. */
  combine(p: number, q: number, pScale: number, qScale: number, shift: number, out: number, rows: number, channelBytes: number): void;
}

// ---- binary encoding ----------------------------------------------------------------------

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...unsignedLeb(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

const I32 = 0x7f;
const V128 = 0x7b;

// ---- instructions -------------------------------------------------------------------------

type Code = number[];

const get = (local: number): Code => [0x20, ...unsignedLeb(local)];
const set = (local: number): Code => [0x21, ...unsignedLeb(local)];
const i32 = (value: number): Code => [0x41, ...signedLeb(value)];
const add = (a: Code, b: Code): Code => [...a, ...b, 0x6a];
const mul = (a: Code, b: Code): Code => [...a, ...b, 0x6c];
/** v128.load / v128.store with 4-byte alignment hint (tensor data is float-aligned). */
const load = (address: Code): Code => [...address, 0xfd, 0x00, 0x02, 0x00];
const store = (address: Code, value: Code): Code => [...address, ...value, 0xfd, 0x0b, 0x02, 0x00];
const f32x4Add = (a: Code, b: Code): Code => [...a, ...b, 0xfd, ...unsignedLeb(0xe4)];
const f32x4Sub = (a: Code, b: Code): Code => [...a, ...b, 0xfd, ...unsignedLeb(0xe5)];
const f32x4Mul = (a: Code, b: Code): Code => [...a, ...b, 0xfd, ...unsignedLeb(0xe6)];

/** for (local = from; local < end; local += step) body — unsigned compare, `end` an expression. */
function forLoop(local: number, from: Code, end: Code, step: Code, body: Code): Code {
  return [
    ...from, ...set(local),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(local), ...end, 0x4f, 0x0d, 0x01, // i32.ge_u; br_if 1 (leave the block)
    ...body,
    ...add(get(local), step), ...set(local),
    0x0c, 0x00, // br 0 (next iteration)
    0x0b, 0x0b, // end loop, end block
  ];
}

/** byte offset `o` within the current pixel: the channel loop, 16 bytes (4 floats) at a time. */
function channelLoop(o: number, channelBytes: number, body: Code): Code {
  return forLoop(o, i32(0), get(channelBytes), i32(16), body);
}

interface FunctionDef {
  exportName: keyof SimdLoops;
  params: number;
  /** extra locals: i32 count and v128 count */
  i32Locals: number;
  v128Locals: number;
  body: Code;
}

// multiplyAccumulate(acc0, a1, b2, rows3, cols4, aRow5, aCol6, bRow7, bCol8, cb9); r10 k11 o12 pa13 pb14
const multiplyAccumulate: FunctionDef = {
  exportName: 'multiplyAccumulate',
  params: 10,
  i32Locals: 5,
  v128Locals: 0,
  body: forLoop(10, i32(0), get(3), i32(1), [
    ...add(get(1), mul(get(10), get(5))), ...set(13),
    ...add(get(2), mul(get(10), get(7))), ...set(14),
    ...forLoop(11, i32(0), get(4), i32(1), [
      ...channelLoop(12, 9, store(add(get(0), get(12)), f32x4Add(load(add(get(0), get(12))), f32x4Mul(load(add(get(13), get(12))), load(add(get(14), get(12))))))),
      ...add(get(13), get(6)), ...set(13),
      ...add(get(14), get(8)), ...set(14),
    ]),
  ]),
};

// sumRows(acc0, a1, rows2, cb3); r4 o5 pa6
const sumRows: FunctionDef = {
  exportName: 'sumRows',
  params: 4,
  i32Locals: 3,
  v128Locals: 0,
  body: [
    ...get(1), ...set(6),
    ...forLoop(4, i32(0), get(2), i32(1), [
      ...channelLoop(5, 3, store(add(get(0), get(5)), f32x4Add(load(add(get(0), get(5))), load(add(get(6), get(5)))))),
      ...add(get(6), get(3)), ...set(6),
    ]),
  ],
};

// sumSquaredDeviations(acc0, a1, mean2, rows3, cb4); r5 o6 pa7; d8 (v128)
const sumSquaredDeviations: FunctionDef = {
  exportName: 'sumSquaredDeviations',
  params: 5,
  i32Locals: 3,
  v128Locals: 1,
  body: [
    ...get(1), ...set(7),
    ...forLoop(5, i32(0), get(3), i32(1), [
      ...channelLoop(6, 4, [
        ...f32x4Sub(load(add(get(7), get(6))), load(add(get(2), get(6)))), ...set(8),
        ...store(add(get(0), get(6)), f32x4Add(load(add(get(0), get(6))), f32x4Mul(get(8), get(8)))),
      ]),
      ...add(get(7), get(4)), ...set(7),
    ]),
  ],
};

// scaleShift(x0, scale1, shift2, y3, rows4, cb5); r6 o7 px8 py9
const scaleShift: FunctionDef = {
  exportName: 'scaleShift',
  params: 6,
  i32Locals: 4,
  v128Locals: 0,
  body: [
    ...get(0), ...set(8),
    ...get(3), ...set(9),
    ...forLoop(6, i32(0), get(4), i32(1), [
      ...channelLoop(7, 5, store(add(get(9), get(7)), f32x4Add(f32x4Mul(load(add(get(8), get(7))), load(add(get(1), get(7)))), load(add(get(2), get(7)))))),
      ...add(get(8), get(5)), ...set(8),
      ...add(get(9), get(5)), ...set(9),
    ]),
  ],
};

// combine(p0, q1, pScale2, qScale3, shift4, out5, rows6, cb7); r8 o9 pp10 pq11 po12
const combine: FunctionDef = {
  exportName: 'combine',
  params: 8,
  i32Locals: 5,
  v128Locals: 0,
  body: [
    ...get(0), ...set(10),
    ...get(1), ...set(11),
    ...get(5), ...set(12),
    ...forLoop(8, i32(0), get(6), i32(1), [
      ...channelLoop(9, 7, store(
        add(get(12), get(9)),
        f32x4Add(
          f32x4Add(f32x4Mul(load(add(get(10), get(9))), load(add(get(2), get(9)))), f32x4Mul(load(add(get(11), get(9))), load(add(get(3), get(9))))),
          load(add(get(4), get(9))),
        ),
      )),
      ...add(get(10), get(7)), ...set(10),
      ...add(get(11), get(7)), ...set(11),
      ...add(get(12), get(7)), ...set(12),
    ]),
  ],
};

const FUNCTIONS: readonly FunctionDef[] = [multiplyAccumulate, sumRows, sumSquaredDeviations, scaleShift, combine];

function assemble(): Uint8Array {
  const types = FUNCTIONS.map((f) => [0x60, ...vector(Array.from({ length: f.params }, () => [I32])), 0x00]);
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, 0x01]; // memory, min 1 page, no max
  const functionTypes = FUNCTIONS.map((_, i) => unsignedLeb(i));
  const exports = FUNCTIONS.map((f, i) => [...name(f.exportName), 0x00, ...unsignedLeb(i)]);
  const bodies = FUNCTIONS.map((f) => {
    const locals: number[][] = [];
    if (f.i32Locals > 0) locals.push([...unsignedLeb(f.i32Locals), I32]);
    if (f.v128Locals > 0) locals.push([...unsignedLeb(f.v128Locals), V128]);
    const body = [...vector(locals), ...f.body, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functionTypes)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

/** The WebAssembly API (global in Node; this project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
/** A WebAssembly.Memory. */
export type WasmMemory = object;

const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
let compiled: object | undefined;
const instances = new WeakMap<WasmMemory, SimdLoops>();

/** The loops bound to `memory` (compiled once, instantiated once per memory). */
export function simdLoops(memory: WasmMemory): SimdLoops {
  let loops = instances.get(memory);
  if (!loops) {
    compiled ??= new webAssembly.Module(assemble());
    loops = new webAssembly.Instance(compiled, { env: { memory } }).exports as SimdLoops;
    instances.set(memory, loops);
  }
  return loops;
}
