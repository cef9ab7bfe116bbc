/**
 * Natural logarithm of both f64 lanes of a vector, as WebAssembly SIMD (which has no log).
 * The method of fdlibm's e_log.c, the library V8's Math.log comes from: split x = 2^k·m with m in
 * [√2/2, √2), f = m − 1, s = f/(2 + f), log(1 + f) = f − (f²/2 − s·(f²/2 + R(s²))) with fdlibm's
 * minimax R, and k·ln 2 added in two parts. Without fdlibm's branches (tiny f, subnormals) it
 * stays within ~1 ulp of Math.log for the positive normal numbers it is used on; NaN stays NaN.
 */
import {
  f64x2Add,
  f64x2Const,
  f64x2Div,
  f64x2GreaterThan,
  f64x2Mul,
  f64x2Sub,
  get,
  i64x2ShiftRightUnsigned,
  set,
  u64x2Const,
  v128And,
  v128Or,
  v128Select,
  type Code,
} from './assembler.js';

const LG = [
  6.66666666666673513e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1,
  1.818357216161805012e-1, 1.531383769920937332e-1, 1.479819860511658591e-1,
] as const;
const LN2_HIGH = 6.9314718036912381649e-1;
const LN2_LOW = 1.90821492927058770002e-10;
/** 2^52 as f64 bits: OR-ing a 52-bit integer n into them gives the double 2^52 + n exactly. */
const TWO_52_BITS = 0x4330000000000000n;
const MANTISSA_BITS = 0x000fffffffffffffn;
const ONE_BITS = 0x3ff0000000000000n;

/** v128 locals the log needs as scratch (k, f, s, z, w, r, h), plus `x` holding the input. */
export interface LogLocals {
  x: number;
  k: number;
  f: number;
  s: number;
  z: number;
  w: number;
  r: number;
  h: number;
}

/** Leaves ln(x) (both lanes) on the stack; x must be positive. Clobbers every local in `at` but x. */
export function f64x2Log(at: LogLocals): Code {
  const { x, k, f, s, z, w, r, h } = at;
  const c = f64x2Const;
  return [
    // k = biased exponent − 1023, as a double; f = mantissa scaled to [1, 2).
    ...f64x2Sub(v128Or(i64x2ShiftRightUnsigned(get(x), 52), u64x2Const(TWO_52_BITS)), c(2 ** 52 + 1023)),
    ...set(k),
    ...v128Or(v128And(get(x), u64x2Const(MANTISSA_BITS)), u64x2Const(ONE_BITS)),
    ...set(f),
    // Above √2: halve it and count one more power of two (h is the mask here).
    ...f64x2GreaterThan(get(f), c(Math.SQRT2)),
    ...set(h),
    ...v128Select(f64x2Mul(get(f), c(0.5)), get(f), get(h)),
    ...set(f),
    ...f64x2Add(get(k), v128And(get(h), c(1))),
    ...set(k),
    ...f64x2Sub(get(f), c(1)),
    ...set(f),
    ...f64x2Div(get(f), f64x2Add(get(f), c(2))),
    ...set(s),
    ...f64x2Mul(get(s), get(s)),
    ...set(z),
    ...f64x2Mul(get(z), get(z)),
    ...set(w),
    // R = z·(Lg1 + w·(Lg3 + w·(Lg5 + w·Lg7))) + w·(Lg2 + w·(Lg4 + w·Lg6))
    ...f64x2Add(
      f64x2Mul(
        get(z),
        f64x2Add(
          c(LG[0]),
          f64x2Mul(get(w), f64x2Add(c(LG[2]), f64x2Mul(get(w), f64x2Add(c(LG[4]), f64x2Mul(get(w), c(LG[6])))))),
        ),
      ),
      f64x2Mul(get(w), f64x2Add(c(LG[1]), f64x2Mul(get(w), f64x2Add(c(LG[3]), f64x2Mul(get(w), c(LG[5])))))),
    ),
    ...set(r),
    ...f64x2Mul(c(0.5), f64x2Mul(get(f), get(f))),
    ...set(h),
    // k·ln2_hi − ((h − (s·(h + R) + k·ln2_lo)) − f), plus (x − x): 0, or NaN for NaN input.
    ...f64x2Add(
      f64x2Sub(
        f64x2Mul(get(k), c(LN2_HIGH)),
        f64x2Sub(
          f64x2Sub(get(h), f64x2Add(f64x2Mul(get(s), f64x2Add(get(h), get(r))), f64x2Mul(get(k), c(LN2_LOW)))),
          get(f),
        ),
      ),
      f64x2Sub(get(x), get(x)),
    ),
  ];
}
