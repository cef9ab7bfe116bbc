import { describe, expect, it } from 'vitest';
import { cInitializer, floatLiteral } from '../../src/device/c-literals.js';
import { Random } from '../../src/random.js';

/** What a C compiler makes of a float constant (decimal to double is exact enough: see floatLiteral). */
function parseFloatLiteral(literal: string): number {
  expect(literal).toMatch(/^-?\d+(\.\d+)?(e[-+]?\d+)?f$/);
  expect(literal, 'a point or an exponent before the suffix').toMatch(/[.e]/);
  return Math.fround(Number(literal.slice(0, -1)));
}

describe('floatLiteral', () => {
  it('names exactly the float32 of the value, as short as it can', () => {
    expect(floatLiteral(1)).toBe('1.0f');
    expect(floatLiteral(0)).toBe('0.0f');
    expect(floatLiteral(-0)).toBe('-0.0f');
    expect(floatLiteral(-2)).toBe('-2.0f');
    expect(floatLiteral(0.5)).toBe('0.5f');
    expect(floatLiteral(1e-12)).toBe('1e-12f');
    expect(floatLiteral(Math.SQRT1_2)).toBe('0.70710677f');
    expect(floatLiteral(2 ** 127)).toBe('1.7014118e+38f');
  });

  it('round-trips random float32 bit patterns of every magnitude', () => {
    const random = new Random(3);
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    for (let n = 0; n < 20000; n++) {
      bits[0] = random.int(0, 2 ** 32);
      const value = float[0]!;
      if (!Number.isFinite(value)) continue;
      expect(parseFloatLiteral(floatLiteral(value))).toBe(value);
    }
  });

  it('rejects what float32 cannot hold', () => {
    expect(() => floatLiteral(1e39)).toThrow(RangeError);
    expect(() => floatLiteral(Number.NaN)).toThrow(RangeError);
  });
});

describe('cInitializer', () => {
  it('lays items out a few per line inside braces', () => {
    expect(cInitializer(['1', '2', '3'], 2)).toBe('{\n  1, 2,\n  3\n}');
    expect(cInitializer(['{a}', '{b}'], 1, '    ')).toBe('{\n    {a},\n    {b}\n  }');
  });
});
