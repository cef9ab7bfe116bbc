/**
 * TFLite's QuantizeMultiplier and CMSIS-NN's fixed-point helpers: hand-worked values for the
 * edge cases (significands that round up to 2^31, tiny scales, negative shifts, ties at both
 * roundings, INT32_MIN², wrapping left shifts), a literal BigInt transcription of the C on random
 * operands, and — with gcc and ../shared — ARM's own inline functions on the same operands.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  INT32_MAX,
  INT32_MIN,
  divideByPowerOfTwo,
  doublingHighMultiply,
  quantizeMultiplier,
  requantize,
} from '../../../src/quant/s8/requantize.js';
import { Random } from '../../../src/random.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { INCLUDE_DIR, STRICT_FLAGS, skipWithoutCmsisNn } from './host.js';

const asInt32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** arm_nn_doubling_high_mult_no_sat, literally: (m1 · m2 + 2^30) >> 31 in 64 bits, cast to int32. */
const referenceNoSat = (a: number, b: number): number => asInt32((BigInt(a) * BigInt(b) + (1n << 30n)) >> 31n);

/** arm_nn_divide_by_power_of_two, literally. */
function referenceDivide(dividend: number, exponent: number): number {
  const mask = asInt32((1n << BigInt(exponent)) - 1n);
  const remainder = mask & dividend;
  let result = dividend >> exponent;
  let threshold = mask >> 1;
  if (result < 0) threshold++;
  if (remainder > threshold) result++;
  return result;
}

function referenceRequantize(value: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return referenceDivide(referenceNoSat(asInt32(BigInt(value) << BigInt(left)), multiplier), right);
}

describe('quantizeMultiplier (TFLite QuantizeMultiplier)', () => {
  it.each([
    [0, 0, 0],
    [0.5, 2 ** 30, 0],
    [1, 2 ** 30, 1],
    [0.75, 1610612736, 0],
    [-0.75, -1610612736, 0],
    // frexp(0.3) = 0.6 · 2^−1; 0.6 · 2^31 = 1288490188.8 rounds up.
    [0.3, 1288490189, -1],
    [2 ** -31, 2 ** 30, -30],
    [2 ** -32, 2 ** 30, -31],
    // A shift below −31 flushes to zero.
    [2 ** -33, 0, 0],
    [1e-12, 0, 0],
    // Significands within half an LSB of 1 round to 2^31: halved, shift raised.
    [1 - 2 ** -40, 2 ** 30, 1],
    [1 - 2 ** -32, 2 ** 30, 1],
    // Just below: the largest multiplier.
    [1 - 2 ** -31, 2 ** 31 - 1, 0],
    [2 ** 20 + 0.5, 1073741824 + 512, 21],
  ])('%d → multiplier %i, shift %i', (real, multiplier, shift) => {
    expect(quantizeMultiplier(real)).toEqual({ multiplier, shift });
  });

  it('represents random scales to within half a unit of the 31-bit significand', () => {
    const random = new Random(1);
    for (let n = 0; n < 3000; n++) {
      const real = 2 ** random.uniform(-30, 20);
      const { multiplier, shift } = quantizeMultiplier(real);
      expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(multiplier * 2 ** (shift - 31) - real)).toBeLessThanOrEqual(2 ** (shift - 32));
    }
  });
});

describe('requantize (arm_nn_requantize, default double rounding)', () => {
  it.each([
    [100, 2 ** 30, 0, 50],
    [1000, 2 ** 30, 3, 4000],
    // Ties at the first rounding go up: 0.5 → 1, −0.5 → 0.
    [1, 2 ** 30, 0, 1],
    [-1, 2 ** 30, 0, 0],
    // Ties at the second rounding go away from zero: 2 / 4 → 1, −2 / 4 → −1.
    [4, 2 ** 30, -2, 1],
    [-4, 2 ** 30, -2, -1],
    // Double rounding: 3 · 2^−3 = 0.375 is 1.5 → 2 after the first step, then 2 / 4 = 0.5 → 1 (single rounding: 0).
    [3, 2 ** 30, -2, 1],
    // −0.75: −1.5 → −1, then −1 / 2 = −0.5 → −1.
    [-3, 2 ** 30, -1, -1],
    // The largest right shift and a zero multiplier.
    [INT32_MAX, INT32_MAX, -31, 1],
    [12345, 0, -5, 0],
    // The left shift wraps at 32 bits as the C's int32 multiply does on the device.
    [2 ** 30, 2 ** 30, 1, -(2 ** 30)],
  ])('requantize(%i, %i, %i) = %i', (value, multiplier, shift, expected) => {
    expect(requantize(value, multiplier, shift)).toBe(expected);
    expect(referenceRequantize(value, multiplier, shift)).toBe(expected);
  });

  it('INT32_MIN² wraps: the multiply does not saturate', () => {
    expect(doublingHighMultiply(INT32_MIN, INT32_MIN)).toBe(INT32_MIN);
    expect(doublingHighMultiply(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX);
  });

  it('matches a literal BigInt transcription of the C on random operands', () => {
    const random = new Random(2);
    const int32 = (): number => random.int(INT32_MIN, INT32_MAX + 1);
    for (let n = 0; n < 8000; n++) {
      const a = n % 5 === 0 ? random.int(-70000, 70000) : int32();
      const b = n % 7 === 0 ? INT32_MIN : int32();
      expect(doublingHighMultiply(a, b)).toBe(referenceNoSat(a, b));
      const exponent = random.int(0, 32);
      expect(divideByPowerOfTwo(a, exponent)).toBe(referenceDivide(a, exponent));
      const multiplier = random.int(0, 2 ** 31);
      const shift = random.int(-31, 31);
      expect(requantize(a, multiplier, shift)).toBe(referenceRequantize(a, multiplier, shift));
    }
  });
});

const workDir = tempDir('s8-requantize');

describe.skipIf(skipWithoutCmsisNn)("against ARM's inline functions (arm_nnsupportfunctions.h, gcc)", () => {
  it('requantize, the multiply and the divide agree on random operands', () => {
    const source = `#include <stdio.h>
#include "arm_nnsupportfunctions.h"
int main(void) {
  long a, b, e, m, s;
  while (scanf("%ld %ld %ld %ld %ld", &a, &b, &e, &m, &s) == 5) {
    printf("%ld %ld %ld\\n", (long)arm_nn_doubling_high_mult_no_sat((int32_t)a, (int32_t)b),
           (long)arm_nn_divide_by_power_of_two((int32_t)a, (int32_t)e), (long)arm_nn_requantize((int32_t)a, (int32_t)m, (int32_t)s));
  }
  return 0;
}
`;
    fs.writeFileSync(path.join(workDir, 'fixed.c'), source);
    const binary = path.join(workDir, 'fixed');
    execFileSync('gcc', [...STRICT_FLAGS, '-I', INCLUDE_DIR, path.join(workDir, 'fixed.c'), '-o', binary]);
    const random = new Random(3);
    const rows: number[][] = [];
    for (let n = 0; n < 5000; n++) {
      const a = n % 3 === 0 ? random.int(-(2 ** 20), 2 ** 20) : random.int(INT32_MIN, INT32_MAX + 1);
      rows.push([
        a,
        random.int(INT32_MIN, INT32_MAX + 1),
        random.int(0, 32),
        random.int(0, 2 ** 31),
        random.int(-31, 8),
      ]);
    }
    // Positive shifts only where the C's int32 left shift cannot overflow (undefined behaviour there).
    for (const row of rows) if (row[4]! > 0 && Math.abs(row[0]!) * 2 ** row[4]! >= 2 ** 31) row[4] = -row[4]!;
    const output = execFileSync(binary, { input: rows.map((r) => r.join(' ')).join('\n') })
      .toString()
      .trim()
      .split('\n');
    rows.forEach(([a, b, e, m, s], n) => {
      const expected = output[n]!.split(' ').map(Number);
      const ours = [doublingHighMultiply(a!, b!), divideByPowerOfTwo(a!, e!), requantize(a!, m!, s!)];
      expect(ours, `operands ${a} ${b} ${e} ${m} ${s}`).toEqual(expected);
    });
  });
});
