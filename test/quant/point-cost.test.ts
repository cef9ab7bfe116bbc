/**
 * quantizationCosts: one row per quantisation source, each the float network with only that
 * source rounded. A point given a range far too narrow must show as the costly one while the
 * others cost next to nothing, and the all-weights row is the dequantised network's forward pass.
 * dnn and cnn only: the random ds_cnn network of s8/networks.ts predicts one class for every row.
 */
import { describe, expect, it } from 'vitest';
import { collectPointStats } from '../../src/quant/calibrate.js';
import { createFloatForward, pointNames, type FloatNetwork } from '../../src/quant/float-network.js';
import { isWeighted } from '../../src/quant/ir.js';
import { quantizationCosts } from '../../src/quant/point-cost.js';
import { fracBitsFor, qFormatName } from '../../src/quant/qformat.js';
import { buildIntegerNetwork, dequantizedNetwork } from '../../src/quant/quantize.js';
import { argmax } from '../../src/metrics.js';
import { randomFloatNetwork, selfLabelled } from './s8/networks.js';

const ROWS = 300;

/** The integer network with every point at its max range but the widest layer output, given 1/16 of its range. */
function networkWith(float: FloatNetwork, x: Float32Array) {
  const stats = collectPointStats(createFloatForward(float), x);
  const widest = stats.reduce((best, s, i) => (i > 0 && s.maxAbs > stats[best]!.maxAbs ? i : best), 1);
  const fracs = stats.map((s, i) => fracBitsFor(s.maxAbs) + (i === widest ? 4 : 0));
  return { network: buildIntegerNetwork(float, fracs).network, crushed: widest, crushedFrac: fracs[widest]! };
}

const agreement = (a: Int32Array, b: Int32Array) => a.filter((p, n) => p === b[n]).length / a.length;

describe('quantizationCosts', () => {
  it.each(['dnn', 'cnn'] as const)('%s: the crushed point is the costly row, the others cost little', (arch) => {
    const float = randomFloatNetwork(arch, 11);
    const { x } = selfLabelled(float, ROWS, 12);
    const names = pointNames(float);
    const { network, crushed, crushedFrac } = networkWith(float, x);
    const costs = quantizationCosts(float, network, x);

    const weighted = network.layers.filter(isWeighted);
    expect(costs.sources.map((s) => `${s.kind} ${s.name}`)).toEqual([
      'activations all',
      'weights all',
      ...names.map((name) => `activations ${name}`),
      ...weighted.map((layer) => `weights ${layer.name}`),
    ]);
    const pointRows = costs.sources.filter((s) => s.kind === 'activations' && s.name !== 'all');
    expect(pointRows[crushed]!.format).toBe(qFormatName(crushedFrac));
    expect(agreement(pointRows[crushed]!.predictions, costs.float)).toBeLessThan(0.85);
    pointRows.forEach((row, i) => {
      if (i !== crushed) expect(agreement(row.predictions, costs.float)).toBeGreaterThan(0.95);
    });
    expect(agreement(costs.sources[0]!.predictions, costs.float)).toBeLessThan(0.85);

    // The all-weights row is the forward pass of the network with the int8 tensors' values.
    const forward = createFloatForward(dequantizedNetwork(float, network));
    const size = float.frames * float.coefficients;
    const expected = Int32Array.from({ length: ROWS }, (_, n) =>
      argmax(forward.run(x.subarray(n * size, (n + 1) * size))),
    );
    expect(costs.sources[1]!.predictions).toEqual(expected);
    const first = weighted[0]!;
    expect(costs.sources[2 + names.length]!.format).toMatch(
      new RegExp(`^(Q\\d\\.${first.weightFrac}|${first.weightFrac} fractional bits) / `),
    );
  });

  it('refuses an integer network built from another float network', () => {
    const float = randomFloatNetwork('cnn', 11);
    const { x } = selfLabelled(float, 10, 12);
    const other = randomFloatNetwork('dnn', 11);
    const { network } = networkWith(other, selfLabelled(other, 10, 12).x);
    expect(() => quantizationCosts(float, network, x)).toThrow(/was not built from this float network/);
  });
});
