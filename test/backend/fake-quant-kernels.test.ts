/**
 * The training plan's fake-quantisation kernels against their definition in plain arithmetic:
 * round half up (ties included, where y + ½ in f32 would round) or toward zero, saturation,
 * the straight-through mask, and the largest magnitude.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/backend/plan/arena.js';
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
  const constants = arena.alloc(4);
  arena.commit();
  arena.floats(x, values.length).set(values);
  run(arena, x, constants);
  return arena.floats(x, values.length).slice();
}

describe('fake-quantisation kernels', () => {
  it.each([
    ['round half up', 0, -128, (v: number) => Math.floor(v * SCALE + 0.5)],
    ['round half up under a ReLU', 0, 0, (v: number) => Math.floor(v * SCALE + 0.5)],
    ['toward zero', 1, -128, (v: number) => Math.trunc(v * SCALE)],
  ] as const)('%s, saturated to int8', (_, truncate, low, round) => {
    const values = testValues();
    expect(values.length % 4).toBe(0);
    const actual = withArena(values, (arena, x, constants) => {
      arena.floats(constants, 4).set([SCALE, 1 / SCALE, low, 127]);
      arena.kernels.fakeQuant(x, values.length / 4, constants, truncate);
    });
    const expected = Array.from(values, (v) => Math.min(127, Math.max(low, round(v))) / SCALE);
    expect(Array.from(actual)).toEqual(expected);
  });

  it('passes the gradient only strictly inside the range, and finds the largest magnitude', () => {
    const values = testValues();
    const arena = new Arena();
    const y = arena.alloc(values.length);
    const dy = arena.alloc(values.length);
    const constants = arena.alloc(4);
    const largest = arena.alloc(4);
    arena.commit();
    arena.floats(y, values.length).set(values);
    arena.floats(dy, values.length).fill(2);
    arena.floats(constants, 4).set([SCALE, 1 / SCALE, 0, 127]);
    arena.kernels.fakeQuantMask(dy, y, values.length / 4, constants);
    const expected = Array.from(values, (v) => (v * SCALE > 0 && v * SCALE < 127 ? 2 : 0));
    expect(Array.from(arena.floats(dy, values.length))).toEqual(expected);

    arena.kernels.largestMagnitudes(y, values.length / 4, largest);
    expect(Math.max(...arena.floats(largest, 4))).toBe(Math.max(...values.map(Math.abs)));
  });
});
