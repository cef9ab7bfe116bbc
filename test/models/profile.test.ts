import { describe, expect, it } from 'vitest';
import { PAPER_RESULTS } from '../../src/models/paper.js';
import { listPresets, presetSpec, type Preset } from '../../src/models/presets.js';
import { kilobytes, largestConsecutivePair, mcuClass, profileModel } from '../../src/models/profile.js';

function presetProfile(preset: Preset) {
  return profileModel(presetSpec(preset));
}

const presets = listPresets();

describe('profiler against the Hello Edge table', () => {
  it('has all 21 paper configurations', () => {
    expect(presets.map((p) => p.name).sort()).toEqual(Object.keys(PAPER_RESULTS).sort());
  });

  // The README's figures: memory within 0.1% for every preset, ops within 2.1% but CRNN-M's 7.4%.
  it.each(presets.map((p) => [p.name, p] as const))(
    '%s: memory within 0.1%, ops within 2.1% (CRNN-M 7.4%), fits its class',
    (name, preset) => {
      const profile = presetProfile(preset);
      const paper = PAPER_RESULTS[name]!;
      expect(Math.abs(profile.memoryBytes / 1000 - paper.memoryKB) / paper.memoryKB).toBeLessThanOrEqual(0.001);
      expect(Math.abs(profile.ops - paper.ops) / paper.ops).toBeLessThanOrEqual(name === 'crnn_m' ? 0.074 : 0.021);
      expect(profile.fits).toBe(name.slice(-1).toUpperCase());
    },
  );

  it('reproduces the worked DS-CNN S and CNN S figures exactly', () => {
    const ds = presetProfile(presets.find((p) => p.name === 'ds_cnn_s')!);
    // conv_1 10·4·64+64, 4 × (dw 9·64+64, pw 64·64+64), fc1 64·12+12
    expect(ds.weightBytes).toBe(2624 + 4 * (640 + 4160) + 780);
    expect(ds.activationBytes).toBe(2 * 25 * 5 * 64);
    expect(kilobytes(ds.memoryBytes)).toBe(38.6);
    // BN β (64 per BN layer, 9 BN layers) is trained but folded away on the device.
    expect(ds.params).toBe(ds.weightBytes + 9 * 64);
    const cnn = presetProfile(presets.find((p) => p.name === 'cnn_s')!);
    expect(cnn.weightBytes).toBe(69238);
    expect(cnn.activationBytes).toBe(40 * 7 * 28 + 16 * 4 * 30);
  });
});

describe('profile helpers', () => {
  it('takes the largest pair of consecutive buffers', () => {
    expect(largestConsecutivePair([490, 8000, 100, 9000, 12])).toBe(9100);
    expect(largestConsecutivePair([7])).toBe(7);
  });

  it('classifies by both budgets, as the paper rounds', () => {
    expect(mcuClass(80_038, 158_844)).toBe('S');
    expect(mcuClass(80_200, 1e6)).toBe('M');
    expect(mcuClass(50_000, 7e6)).toBe('M');
    expect(mcuClass(400_000, 81e6)).toBeNull();
  });
});
