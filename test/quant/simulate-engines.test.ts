/**
 * The WebAssembly kernels must be bit-identical to the JavaScript reference kernels (which the
 * gcc parity test and the arithmetic tests pin to the C): same logits, same saturation counts.
 */
import { describe, expect, it } from 'vitest';
import type { IntegerArchitecture, QuantizedNetwork } from '../../src/quant/ir.js';
import { createSimulator } from '../../src/quant/simulate.js';
import { Random } from '../../src/random.js';
import { oddChannelNetwork, randomInt8, randomNetwork } from './random-networks.js';

function expectSameEngines(network: QuantizedNetwork, inputCount: number, seed: number): void {
  const wasm = createSimulator(network, 'wasm');
  const js = createSimulator(network, 'js');
  expect([wasm.engine, js.engine]).toEqual(['wasm', 'js']);
  const random = new Random(seed);
  const inputSize = network.frames * network.coefficients;
  const distinct = new Set<string>();
  for (let n = 0; n < inputCount; n++) {
    const amplitude = n % 3 === 0 ? 16 : 128;
    const input = randomInt8(random, inputSize, -amplitude, amplitude);
    const logits = Array.from(wasm.run(input));
    expect(logits, `input ${n}`).toEqual(Array.from(js.run(input)));
    distinct.add(logits.join(','));
  }
  expect(Array.from(wasm.saturations)).toEqual(Array.from(js.saturations));
  // Not a vacuous comparison: outputs vary, and the clamping path ran.
  expect(distinct.size).toBeGreaterThan(inputCount / 4);
  expect(js.saturations.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
}

describe('simulator engines (wasm vs js)', () => {
  it.each<[IntegerArchitecture, number]>([
    ['dnn', 1],
    ['cnn', 2],
    ['ds_cnn', 3],
    ['ds_cnn', 4],
  ])('%s (seed %i): bit-identical logits and saturation counts', (architecture, seed) => {
    expectSameEngines(randomNetwork({ architecture, seed }), 120, seed * 31);
  });

  it('channel counts around the eight-lane width and sums wrapping at 32 bits agree too', () => {
    const network = oddChannelNetwork();
    expectSameEngines(network, 60, 5);
    // Bias shifted to the top bit: the accumulator wraps in both.
    const dnn = randomNetwork({ architecture: 'dnn', seed: 41 });
    const shifts: Array<[number, number]> = [
      [31, 31],
      [0, 0],
      [30, 24],
    ];
    for (const layer of dnn.layers)
      if (layer.kind === 'dense') Object.assign(layer, { biasShift: shifts[0]![0], outShift: shifts.shift()![1] });
    const wasm = createSimulator(dnn, 'wasm');
    const js = createSimulator(dnn, 'js');
    const input = randomInt8(new Random(2), 78);
    expect(Array.from(wasm.run(input))).toEqual(Array.from(js.run(input)));
  });
});
