import { describe, expect, it } from 'vitest';
import {
  add,
  createMemory,
  forLoop,
  get,
  i32,
  kernelModule,
  load,
  set,
  shiftLeft,
  store,
} from '../../src/wasm/assembler.js';
import { f64x2Log } from '../../src/wasm/log.js';
import { Random } from '../../src/random.js';

// logs(input0, output1, pairs2); byte3; x4 k5 f6 s7 z8 w9 r10 h11 (v128)
const LOCALS = { x: 4, k: 5, f: 6, s: 7, z: 8, w: 9, r: 10, h: 11 };
const logKernel = kernelModule<{ logs(input: number, output: number, pairs: number): void }>([
  {
    exportName: 'logs',
    params: 3,
    i32Locals: 1,
    v128Locals: 8,
    body: forLoop(3, i32(0), shiftLeft(get(2), i32(4)), i32(16), [
      ...load(add(get(0), get(3))),
      ...set(LOCALS.x),
      ...store(add(get(1), get(3)), f64x2Log(LOCALS)),
    ]),
  },
]);

/** ln of each value through the SIMD kernel (two per vector). */
function simdLog(values: number[]): Float64Array {
  const count = values.length + (values.length % 2);
  const memory = createMemory(16 * count);
  new Float64Array(memory.buffer, 0, values.length).set(values);
  logKernel(memory).logs(0, 8 * count, count / 2);
  return new Float64Array(memory.buffer, 8 * count, values.length);
}

describe('f64x2 natural log', () => {
  it('is within 2 ulp of Math.log from 1e-12 (the filterbank floor) to 1e12, and across √2 and powers of two', () => {
    const random = new Random(3);
    const values = [
      1,
      2,
      0.5,
      Math.SQRT2,
      Math.SQRT2 * (1 + 1e-15),
      Math.SQRT2 * (1 - 1e-15),
      Math.SQRT1_2,
      1 + 1e-9,
      1 - 1e-9,
      1e-12,
      1e12,
      Math.E,
    ];
    for (let i = 0; i < 4000; i++) values.push(10 ** random.uniform(-12, 12));
    const logs = simdLog(values);
    values.forEach((value, i) => {
      const expected = Math.log(value);
      // 2 ulp of the result, and an absolute floor for results near 0 (x near 1).
      const tolerance = Math.max(2 * Number.EPSILON * Math.abs(expected), 2 ** -1074 * 4, 1e-16);
      expect(Math.abs(logs[i]! - expected), `ln(${value})`).toBeLessThanOrEqual(tolerance);
    });
  });

  it('keeps NaN', () => {
    expect(simdLog([Number.NaN, 1])[0]).toBeNaN();
  });
});
