/**
 * C literals for generated tables: float32 constants that a C compiler reads back as exactly
 * the float32 the TypeScript value rounds to, and arrays of them laid out a few per line.
 */

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

/** The float32 next to `value` (itself a float32) in the direction of `towards`. */
function adjacentFloat32(value: number, towards: number): number {
  if (value === 0) return towards > 0 ? 2 ** -149 : -(2 ** -149);
  float32[0] = value;
  // The bit pattern of a float's magnitude grows with the magnitude.
  float32Bits[0]! += towards > value === value > 0 ? 1 : -1;
  return float32[0];
}

/**
 * The shortest decimal, with an `f` suffix, that names `Math.fround(value)`. A candidate must
 * round to it from its nearest double and must not be a float32 midpoint there: then the
 * decimal itself, which lies within half a double step of that double, rounds to the same
 * float32 when a compiler converts it directly.
 */
export function floatLiteral(value: number): string {
  const target = Math.fround(value);
  if (!Number.isFinite(target)) throw new RangeError(`floatLiteral: ${value} is not a finite float32`);
  if (Object.is(target, -0)) return '-0.0f';
  for (let digits = 1; digits <= 9; digits++) {
    const text = target.toPrecision(digits);
    const parsed = Number(text);
    if (Math.fround(parsed) !== target) continue;
    if (parsed !== target && parsed === (target + adjacentFloat32(target, parsed)) / 2) continue;
    // C needs a point or an exponent before the suffix ("1f" is not a float constant).
    return `${/[.e]/.test(text) ? text : `${text}.0`}f`;
  }
  throw new Error(`floatLiteral: no decimal of at most 9 digits names ${target}`);
}

/** `{` items `}` with `perLine` items on each indented line. */
export function cInitializer(items: readonly string[], perLine: number, indent = '  '): string {
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(indent + items.slice(i, i + perLine).join(', '));
  return `{\n${lines.join(',\n')}\n${indent.slice(2)}}`;
}
