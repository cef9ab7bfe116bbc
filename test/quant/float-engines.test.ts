/**
 * The WebAssembly float kernels must give bit-identical activations to the JavaScript ones, so
 * calibration picks the same formats whichever engine runs it.
 */
import { describe, expect, it } from 'vitest';
import { createFloatForward, type FloatLayer, type FloatNetwork } from '../../src/quant/float-network.js';
import type { IntegerArchitecture, QuantizedNetwork } from '../../src/quant/ir.js';
import { Random } from '../../src/random.js';
import { oddChannelNetwork, randomNetwork } from './random-networks.js';

/** The random integer network's layout with float weights (odd row and channel counts included). */
function floatNetworkLike(network: QuantizedNetwork, random: Random): FloatNetwork {
  const floats = (length: number) => Float32Array.from({ length }, () => random.normal() * 0.3);
  const layers = network.layers.map((layer): FloatLayer => {
    switch (layer.kind) {
      case 'relu':
        return layer;
      case 'avgpool':
        return { kind: 'avgpool', name: layer.name, input: layer.input };
      default: {
        const {
          inFrac: _i,
          weightFrac: _w,
          biasFrac: _b,
          outFrac: _o,
          biasShift: _bs,
          outShift: _os,
          ...shape
        } = layer;
        return { ...shape, weights: floats(layer.weights.length), bias: floats(layer.bias.length) };
      }
    }
  });
  const { architecture, feature, frames, coefficients, labels } = network;
  return { architecture, feature, frames, coefficients, labels, layers };
}

describe('float forward engines (wasm vs js)', () => {
  it.each<[string, number]>([
    ['dnn', 1],
    ['cnn', 2],
    ['ds_cnn', 3],
    ['odd channel counts', 4],
  ])('%s (seed %i): every recorded point bit-identical, with and without fake quantisation', (name, seed) => {
    const random = new Random(seed);
    const layout =
      name === 'odd channel counts'
        ? oddChannelNetwork()
        : randomNetwork({ architecture: name as IntegerArchitecture, seed });
    const network = floatNetworkLike(layout, random);
    const wasm = createFloatForward(network, 'wasm');
    const js = createFloatForward(network, 'js');
    expect([wasm.engine, js.engine]).toEqual(['wasm', 'js']);
    const inputSize = network.frames * network.coefficients;
    for (let n = 0; n < 20; n++) {
      const input = Float32Array.from({ length: inputSize }, () => random.normal() * 4);
      for (const fracs of [undefined, network.layers.map(() => 4)]) {
        const points: number[][] = [];
        const expected: number[][] = [];
        wasm.run(input, {
          fracs,
          record: (point, values, length) => (points[point] = Array.from(values.subarray(0, length))),
        });
        js.run(input, {
          fracs,
          record: (point, values, length) => (expected[point] = Array.from(values.subarray(0, length))),
        });
        expect(points.length).toBeGreaterThan(3);
        expect(points).toEqual(expected);
      }
    }
  });
});
