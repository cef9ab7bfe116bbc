/**
 * A minimal WebAssembly assembler: the binary encoding, the few instructions our kernels use
 * (i32 arithmetic, loops, f32x4/f64x2 SIMD, loads and stores) and module assembly around an
 * imported memory. Kernels are written as expressions of these helpers and assembled at load
 * time, so the project ships no prebuilt binaries and needs no compiler toolchain.
 */

// ---- binary encoding ----------------------------------------------------------------------

export function unsignedLeb(value: number): number[] {
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

/** Instruction bytes; an expression leaves its value on the stack. */
export type Code = number[];

export const simd = (opcode: number): Code => [0xfd, ...unsignedLeb(opcode)];
/** memarg: alignment hint (log2 bytes) and a constant byte offset added to the address. */
export const memarg = (alignLog2: number, offset: number): Code => [alignLog2, ...unsignedLeb(offset)];

export const get = (local: number): Code => [0x20, ...unsignedLeb(local)];
export const set = (local: number): Code => [0x21, ...unsignedLeb(local)];
export const i32 = (value: number): Code => [0x41, ...signedLeb(value)];
export const add = (a: Code, b: Code): Code => [...a, ...b, 0x6a];
export const sub = (a: Code, b: Code): Code => [...a, ...b, 0x6b];
export const mul = (a: Code, b: Code): Code => [...a, ...b, 0x6c];
export const and = (a: Code, b: Code): Code => [...a, ...b, 0x71];
export const shiftRightSigned = (a: Code, bits: Code): Code => [...a, ...bits, 0x75];
/** 1 when a > b (signed), else 0; and a < b. */
export const greaterThan = (a: Code, b: Code): Code => [...a, ...b, 0x4a];
export const lessThan = (a: Code, b: Code): Code => [...a, ...b, 0x48];
/** condition ? ifTrue : ifFalse (both evaluated). */
export const select = (ifTrue: Code, ifFalse: Code, condition: Code): Code => [
  ...ifTrue,
  ...ifFalse,
  ...condition,
  0x1b,
];
export const shiftLeft = (a: Code, bits: Code): Code => [...a, ...bits, 0x74];
const shiftRightUnsigned = (a: Code, bits: Code): Code => [...a, ...bits, 0x76];
/** i32.load with a 4-byte alignment hint. */
export const loadI32 = (address: Code, offset = 0): Code => [...address, 0x28, ...memarg(2, offset)];
/** i32.load8_s: one int8 from memory, sign-extended. */
export const loadI8 = (address: Code, offset = 0): Code => [...address, 0x2c, ...memarg(0, offset)];
/** i32.store with no alignment promise. */
export const storeI32 = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  0x36,
  ...memarg(0, offset),
];
/** i32.store8: the low byte. */
export const storeI8 = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  0x3a,
  ...memarg(0, offset),
];
/** f32.store of an f64 rounded to f32 (f32.demote_f64: round to nearest, as a Float32Array store does). */
export const storeF64AsF32 = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  0xb6,
  0x38,
  ...memarg(0, offset),
];
/** v128.load / v128.store with a 4-byte alignment hint (float data is at least float-aligned). */
export const load = (address: Code, offset = 0): Code => [...address, ...simd(0x00), ...memarg(2, offset)];
export const store = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  ...simd(0x0b),
  ...memarg(2, offset),
];
/** v128.load8x8_s: eight int8 from memory, sign-extended to i16x8. */
export const loadI8x8 = (address: Code, offset = 0): Code => [...address, ...simd(0x01), ...memarg(0, offset)];
export const i32x4Splat = (value: Code): Code => [...value, ...simd(0x11)];
export const i32x4ExtractLane = (a: Code, lane: 0 | 1 | 2 | 3): Code => [...a, ...simd(0x1b), lane];
export const i32x4Add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xae)];
export const i32x4Sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xb1)];
export const i32x4ShiftRightSigned = (a: Code, bits: Code): Code => [...a, ...bits, ...simd(0xac)];
/** Lanes of all ones (−1) where a > b / a < b (signed), else 0. */
export const i32x4GreaterThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x3b)];
export const i32x4LessThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x39)];
/** Saturating narrow of the i32 lanes of a (low four) and b (high four) to i16x8. */
export const i16x8NarrowI32x4 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x85)];
/** Saturating narrow of the i16 lanes of a and b to i8x16. */
export const i8x16NarrowI16x8 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x65)];
/** Products of the i16 lanes, adjacent pairs summed into i32x4 (exact: no overflow is possible). */
export const i32x4DotI16x8 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xba)];
/** i32 products of the low / high four i16 lanes. */
export const i32x4MulLowI16x8 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xbc)];
export const i32x4MulHighI16x8 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xbd)];
export const f32x4Add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
export const f32x4Sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe5)];
export const f32x4Mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
export const f64x2Sqrt = (a: Code): Code => [...a, ...simd(0xef)];
export const f64x2Add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf0)];
export const f64x2Sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf1)];
export const f64x2Mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf2)];
export function f64Const(value: number): Code {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return [0x44, ...bytes];
}
/** An f32 scalar from memory, widened to f64 (exact). */
export const loadF32AsF64 = (address: Code, offset = 0): Code => [...address, 0x2a, ...memarg(2, offset), 0xbb];
/** Both lanes set to the f64 scalar `value`. */
export const f64x2Splat = (value: Code): Code => [...value, ...simd(0x14)];
export const f64x2ReplaceLane = (vector: Code, lane: 0 | 1, value: Code): Code => [
  ...vector,
  ...value,
  ...simd(0x22),
  lane,
];
export const f64x2Div = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf3)];
export const f64x2Max = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf5)];
/** Lanes of all ones where a > b, else zeros. */
export const f64x2GreaterThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4a)];
export const v128And = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4e)];
export const v128Or = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x50)];
/** Bits of `ifSet` where `mask` is 1, else of `ifClear`. */
export const v128Select = (ifSet: Code, ifClear: Code, mask: Code): Code => [
  ...ifSet,
  ...ifClear,
  ...mask,
  ...simd(0x52),
];
export const i64x2ShiftRightUnsigned = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xcd)];
/** A v128 constant with both 64-bit lanes set to `bits`. */
export function u64x2Const(bits: bigint): Code {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, bits, true);
  view.setBigUint64(8, bits, true);
  return [...simd(0x0c), ...bytes];
}
export const f64x2Const = (value: number): Code => f64x2Splat(f64Const(value));
/** Two adjacent f32 from memory, widened to f64x2 (v128.load64_zero + f64x2.promote_low_f32x4; exact). */
export const loadF32x2AsF64x2 = (address: Code, offset = 0): Code => [
  ...address,
  ...simd(0x5d),
  ...memarg(0, offset),
  ...simd(0x5f),
];
export const f64x2ExtractLane = (a: Code, lane: 0 | 1): Code => [...a, ...simd(0x21), lane];

/** for (local = from; local < end; local += step) body — unsigned compare, `end` an expression. */
export function forLoop(local: number, from: Code, end: Code, step: Code, body: Code): Code {
  return [
    ...from,
    ...set(local),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(local),
    ...end,
    0x4f,
    0x0d,
    0x01, // i32.ge_u; br_if 1 (leave the block)
    ...body,
    ...add(get(local), step),
    ...set(local),
    0x0c,
    0x00, // br 0 (next iteration)
    0x0b,
    0x0b, // end loop, end block
  ];
}

/** for (local = from; local >= min; local >>= shift) body — sizes shrinking by powers of two (unsigned). */
export function shrinkingLoop(local: number, from: Code, min: Code, shift: number, body: Code): Code {
  return [
    ...from,
    ...set(local),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(local),
    ...min,
    0x49,
    0x0d,
    0x01, // i32.lt_u; br_if 1 (leave the block)
    ...body,
    ...shiftRightUnsigned(get(local), i32(shift)),
    ...set(local),
    0x0c,
    0x00, // br 0 (next iteration)
    0x0b,
    0x0b, // end loop, end block
  ];
}

/** if (a == b) body */
export function ifEqual(a: Code, b: Code, body: Code): Code {
  return [...a, ...b, 0x46, 0x04, 0x40, ...body, 0x0b];
}

// ---- modules ------------------------------------------------------------------------------

/**
 * One exported function: i32 parameters only (and an i32 result when `returnsI32`), then extra
 * i32 and v128 locals (numbered after the parameters, i32 first).
 */
export interface FunctionDef<Name extends string = string> {
  exportName: Name;
  params: number;
  /** The body leaves one i32 on the stack, returned. */
  returnsI32?: boolean;
  i32Locals: number;
  v128Locals: number;
  body: Code;
}

/** A module that imports its memory as env.memory and exports `functions`. */
function assembleModule(functions: readonly FunctionDef[]): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...vector(Array.from({ length: f.params }, () => [I32])),
    ...vector(f.returnsI32 ? [[I32]] : []),
  ]);
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, 0x01]; // memory, min 1 page, no max
  const functionTypes = functions.map((_, i) => unsignedLeb(i));
  const exports = functions.map((f, i) => [...name(f.exportName), 0x00, ...unsignedLeb(i)]);
  const bodies = functions.map((f) => {
    const locals: number[][] = [];
    if (f.i32Locals > 0) locals.push([...unsignedLeb(f.i32Locals), I32]);
    if (f.v128Locals > 0) locals.push([...unsignedLeb(f.v128Locals), V128]);
    const body = [...vector(locals), ...f.body, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
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
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds pages; views of the old buffer are detached. */
  grow(pages: number): number;
}

export const WASM_PAGE_BYTES = 65536;

function webAssembly(): WebAssemblyApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

/** False under `node --jitless`, which has no WebAssembly at all. */
export function webAssemblyAvailable(): boolean {
  return webAssembly() !== undefined;
}

/** A fresh memory of at least `bytes` bytes. */
export function createMemory(bytes: number): WasmMemory {
  return new (webAssembly()!.Memory)({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES)) });
}

/**
 * `functions` compiled once and instantiated once per memory; returns a function that gives
 * the exports bound to a memory.
 */
export function kernelModule<Exports extends object>(
  functions: readonly FunctionDef[],
): (memory: WasmMemory) => Exports {
  let compiled: object | undefined;
  const instances = new WeakMap<WasmMemory, Exports>();
  return (memory) => {
    let kernels = instances.get(memory);
    if (!kernels) {
      const api = webAssembly();
      if (!api) throw new Error('this JavaScript engine has no WebAssembly (node --jitless?)');
      compiled ??= new api.Module(assembleModule(functions));
      kernels = new api.Instance(compiled, { env: { memory } }).exports as Exports;
      instances.set(memory, kernels);
    }
    return kernels;
  };
}
