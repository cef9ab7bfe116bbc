/**
 * What the training plan's kernels need beyond src/wasm/assembler.ts: a few more instructions
 * (broadcast loads, scalar f32 access, f32x4 max and compare, if/else) and a way to name locals,
 * since these kernels keep many values (accumulator tiles, row pointers) in locals.
 */
import { memarg as assemblerMemarg, simd, unsignedLeb, type Code, type FunctionDef } from '../../wasm/assembler.js';

/** Memory access to one f32 (alignment 2²), as SIMD loads of one are. */
const memarg = (offset: number): Code => assemblerMemarg(2, offset);

/** v128.load32_splat: one f32 from memory in all four lanes. */
export const loadSplat = (address: Code, offset = 0): Code => [...address, ...simd(0x09), ...memarg(offset)];
export const loadF32 = (address: Code, offset = 0): Code => [...address, 0x2a, ...memarg(offset)];
export const storeF32 = (address: Code, value: Code, offset = 0): Code => [
  ...address,
  ...value,
  0x38,
  ...memarg(offset),
];
export const f32Add = (a: Code, b: Code): Code => [...a, ...b, 0x92];
export const f32Zero: Code = [0x43, 0, 0, 0, 0];
/** v128.const with every bit clear (four +0.0 lanes). */
export const zeroVector: Code = [...simd(0x0c), ...new Array<number>(16).fill(0)];
/** v128.const with `value` in all four f32 lanes. */
export function f32x4Constant(value: number): Code {
  const bytes = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
  return [...simd(0x0c), ...bytes];
}
export const f32x4Div = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe7)];
export const f32x4Sqrt = (a: Code): Code => [...a, ...simd(0xe3)];
export const f32x4Max = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe9)];
export const f32x4Abs = (a: Code): Code => [...a, ...simd(0xe0)];
export const f32x4Min = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe8)];
export const f32x4Floor = (a: Code): Code => [...a, ...simd(0x68)];
export const f32x4Trunc = (a: Code): Code => [...a, ...simd(0x69)];
/** Round to the nearest integer, ties to even. */
export const f32x4Nearest = (a: Code): Code => [...a, ...simd(0x6a)];
/** Lanes of all ones where a > b, else zeros. */
export const f32x4GreaterThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x44)];
/** Lanes of all ones where a < b, else zeros. */
export const f32x4LessThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x43)];
/** Lanes of all ones where a ≥ b, else zeros. */
export const f32x4GreaterOrEqual = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x46)];
/** local.tee: stores the value and leaves it on the stack. */
export const tee = (local: number): Code => [0x22, ...unsignedLeb(local)];
/** Unsigned a < b. */
export const lessThanUnsigned = (a: Code, b: Code): Code => [...a, ...b, 0x49];
export const andI32 = (a: Code, b: Code): Code => [...a, ...b, 0x71];
export const ifElse = (condition: Code, then: Code, otherwise: Code): Code => [
  ...condition,
  0x04,
  0x40,
  ...then,
  0x05,
  ...otherwise,
  0x0b,
];

/** Local indices by name: parameters first, then i32 locals, then v128 locals. */
export type LocalNames<P extends string, I extends string, V extends string> = Record<P | I | V, number>;

/**
 * A kernel function whose body refers to its parameters and locals by name. Parameters are
 * i32 byte addresses and counts, as the assembler requires.
 */
export function kernelFunction<Name extends string, P extends string, I extends string, V extends string>(
  exportName: Name,
  params: readonly P[],
  i32Locals: readonly I[],
  v128Locals: readonly V[],
  body: (local: LocalNames<P, I, V>) => Code,
): FunctionDef<Name> {
  const local = {} as LocalNames<P, I, V>;
  [...params, ...i32Locals, ...v128Locals].forEach((name, index) => {
    if (name in local) throw new Error(`${exportName}: local ${name} declared twice`);
    local[name] = index;
  });
  return {
    exportName,
    params: params.length,
    i32Locals: i32Locals.length,
    v128Locals: v128Locals.length,
    body: body(local),
  };
}
