/**
 * The training plan's fake-quantisation kernels against their definition in plain arithmetic:
 * round half up (ties included, where y + ½ in f32 would round), toward zero or half away from
 * zero, with and without a zero point, saturation, the straight-through mask, and the extremes.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/backend/plan/arena.js';
import { FAKE_QUANT_CONSTANTS, RoundingMode } from '../../src/backend/plan/kernels.js';
import { roundHalfAway } from '../../src/quant/qformat.js';
import { Random } from '../../src/random.js';

const FRAC = 3;
const SCALE = 2 ** FRAC;

/** Halves, values just beside them, tiny ones near ½ that f32 addition would round, saturating ones, random ones. */
function testValues(): Float32Array {
  const random = new Random(3);
  const special = [
    0,
    0.5,
    -0.5,
    1.5,
    -1.5,
    2.5,
    -2.5,
    0.5 - 2 ** -20,
    -0.5 - 2 ** -20,
    0.5 - 2 ** -25,
    -(0.5 - 2 ** -25),
  ];
  const scaled = special.map((v) => v / SCALE);
  const extremes = [127.4, 127.5, 127.6, 200, -128.4, -128.5, -128.6, -300].map((v) => v / SCALE);
  const randoms = Array.from({ length: 101 }, () => random.normal() * 12);
  return Float32Array.from([...scaled, ...extremes, ...randoms]);
}

function withArena(values: Float32Array, run: (arena: Arena, x: number, constants: number) => void): Float32Array {
  const arena = new Arena();
  const x = arena.alloc(values.length);
  const constants = arena.alloc(FAKE_QUANT_CONSTANTS);
  arena.commit();
  arena.floats(x, values.length).set(values);
  run(arena, x, constants);
  return arena.floats(x, values.length).slice();
}

describe('fake-quantisation kernels', () => {
  it.each([
    ['round half up', RoundingMode.halfUp, -128, 0, (v: number) => Math.floor(v * SCALE + 0.5)],
    ['round half up under a ReLU', RoundingMode.halfUp, 0, 0, (v: number) => Math.floor(v * SCALE + 0.5)],
    ['toward zero', RoundingMode.towardZero, -128, 0, (v: number) => Math.trunc(v * SCALE)],
    ['half away from zero', RoundingMode.halfAwayFromZero, -128, 0, (v: number) => roundHalfAway(v * SCALE)],
    // s8's average pool: the zero point added before rounding, subtracted after; the ReLU clamps at it.
    [
      'half away from zero with a zero point of −5 under a ReLU',
      RoundingMode.halfAwayFromZero,
      -5,
      -5,
      (v: number) => roundHalfAway(v * SCALE - 5),
    ],
  ] as const)('%s, saturated to int8', (_, rounding, low, offset, round) => {
    const values = testValues();
    expect(values.length % 4).toBe(0);
    const actual = withArena(values, (arena, x, constants) => {
      arena.floats(constants, FAKE_QUANT_CONSTANTS).set([SCALE, 1 / SCALE, low, 127, offset, 0]);
      arena.kernels.fakeQuant(x, values.length / 4, constants, rounding, 0);
    });
    const expected = Array.from(values, (v) => (Math.min(127, Math.max(low, round(v))) - offset) / SCALE);
    expect(Array.from(actual)).toEqual(expected);
  });

  it("rounds an average pool's mean as arm_avgpool_s8 divides its sum, though float sums miss the ties", () => {
    const count = 6;
    const sums = Array.from({ length: 64 }, (_, i) => i * 7 - 200);
    // Each mean off by a float32 sum's error, to either side: ties (sums ≡ 3 mod 6) included.
    const values = Float32Array.from(sums, (sum, i) => (sum / count) * (1 + (Math.floor(i / 6) % 2 ? 3e-7 : -3e-7)));
    const actual = withArena(values, (arena, x, constants) => {
      arena.floats(constants, FAKE_QUANT_CONSTANTS).set([1, 1, -128, 127, 0, count]);
      arena.kernels.fakeQuant(x, values.length / 4, constants, RoundingMode.halfAwayFromZero, 1);
    });
    const divided = sums.map((sum) => Math.trunc((sum > 0 ? sum + count / 2 : sum - count / 2) / count));
    expect(Array.from(actual)).toEqual(divided.map((v) => Math.min(127, Math.max(-128, v))));
  });

  it('passes the gradient only strictly inside the range, and finds the extremes', () => {
    const values = testValues();
    const arena = new Arena();
    const y = arena.alloc(values.length);
    const dy = arena.alloc(values.length);
    const constants = arena.alloc(FAKE_QUANT_CONSTANTS);
    const range = arena.alloc(8);
    arena.commit();
    arena.floats(y, values.length).set(values);
    arena.floats(dy, values.length).fill(2);
    arena.floats(constants, FAKE_QUANT_CONSTANTS).set([SCALE, 1 / SCALE, -3, 120, 4, 0]);
    arena.kernels.fakeQuantMask(dy, y, values.length / 4, constants);
    const expected = Array.from(values, (v) => (v * SCALE + 4 > -3 && v * SCALE + 4 < 120 ? 2 : 0));
    expect(Array.from(arena.floats(dy, values.length))).toEqual(expected);

    arena.kernels.valueRange(y, values.length / 4, range);
    const lanes = arena.floats(range, 8);
    expect(Math.min(...lanes.subarray(0, 4))).toBe(Math.min(0, ...values));
    expect(Math.max(...lanes.subarray(4))).toBe(Math.max(0, ...values));
  });
});
