import { describe, expect, it } from 'vitest';
import {
  drawAugmentation,
  renderAugmented,
  timeShiftSamples,
  toPcm16,
  type AugmentDraw,
} from '../../src/data/augment.js';
import { Random } from '../../src/random.js';
import { rampClip } from './helpers.js';

const LENGTH = 1000;
const foreground = toPcm16(rampClip(LENGTH));
const noise = new Float32Array(3000).map((_, i) => ((i * 7919) % 101) / 50 - 1);

function draw(overrides: Partial<AugmentDraw>): AugmentDraw {
  return { shift: 0, noiseIndex: 0, noiseOffset: 0, noiseVolume: 0, ...overrides };
}

describe('augmentation', () => {
  it('converts the time shift like ARM: int(ms · rate / 1000)', () => {
    expect(timeShiftSamples(100, 16000)).toBe(1600);
    expect(timeShiftSamples(0.7, 16000)).toBe(11);
    expect(timeShiftSamples(0, 16000)).toBe(0);
  });

  it('delays the audio for a positive shift, with zeros in front', () => {
    const out = renderAugmented(foreground, null, draw({ shift: 5 }), new Float32Array(LENGTH));
    expect(Array.from(out.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    for (let i = 5; i < LENGTH; i++) expect(out[i]).toBe(foreground[i - 5]! / 32768);
  });

  it('advances the audio for a negative shift, with zeros at the end', () => {
    const out = renderAugmented(foreground, null, draw({ shift: -7 }), new Float32Array(LENGTH));
    for (let i = 0; i < LENGTH - 7; i++) expect(out[i]).toBe(foreground[i + 7]! / 32768);
    expect(Array.from(out.subarray(LENGTH - 7))).toEqual(new Array(7).fill(0));
  });

  it('mixes noise · volume + foreground from the drawn offset', () => {
    const out = renderAugmented(
      foreground,
      noise,
      draw({ noiseOffset: 123, noiseVolume: 0.05 }),
      new Float32Array(LENGTH),
    );
    for (let i = 0; i < LENGTH; i += 37) expect(out[i]).toBeCloseTo(noise[123 + i]! * 0.05 + foreground[i]! / 32768, 6);
  });

  it('makes silence from noise only, and all zeros without noise', () => {
    const out = renderAugmented(
      null,
      noise,
      draw({ shift: 9, noiseOffset: 10, noiseVolume: 0.08 }),
      new Float32Array(LENGTH),
    );
    for (let i = 0; i < LENGTH; i++) expect(out[i]).toBeCloseTo(noise[10 + i]! * 0.08, 6);
    const quiet = renderAugmented(null, null, draw({ noiseVolume: 0.08 }), new Float32Array(LENGTH).fill(3));
    expect(quiet.every((v) => v === 0)).toBe(true);
  });

  it('clips the mix to [-1, 1]', () => {
    const loud = toPcm16(new Float32Array(LENGTH).fill(0.99));
    const out = renderAugmented(
      loud,
      new Float32Array(LENGTH).fill(1),
      draw({ noiseVolume: 0.5 }),
      new Float32Array(LENGTH),
    );
    expect(out.every((v) => v === 1)).toBe(true);
    const low = renderAugmented(
      toPcm16(new Float32Array(LENGTH).fill(-1)),
      new Float32Array(LENGTH).fill(-1),
      draw({ noiseVolume: 0.5 }),
      new Float32Array(LENGTH),
    );
    expect(low.every((v) => v === -1)).toBe(true);
  });

  it('draws shifts in [-max, +max), noise volumes in [0, volume) with the given frequency, offsets inside the recording', () => {
    const random = new Random(3);
    const augment = { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 };
    let mixed = 0;
    let minShift = Infinity;
    let maxShift = -Infinity;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const d = drawAugmentation(random, augment, 20, [1500, 1000], 1000);
      minShift = Math.min(minShift, d.shift);
      maxShift = Math.max(maxShift, d.shift);
      expect(d.noiseVolume).toBeGreaterThanOrEqual(0);
      expect(d.noiseVolume).toBeLessThan(0.1);
      if (d.noiseVolume > 0) mixed++;
      expect(d.noiseOffset).toBeLessThan(d.noiseIndex === 0 ? 500 : 1);
      expect(d.noiseOffset).toBeGreaterThanOrEqual(0);
    }
    expect(minShift).toBe(-20);
    expect(maxShift).toBe(19);
    expect(mixed / trials).toBeGreaterThan(0.77);
    expect(mixed / trials).toBeLessThan(0.83);
    const never = drawAugmentation(new Random(1), { ...augment, backgroundFrequency: 0 }, 0, [1500], 1000);
    expect(never).toMatchObject({ shift: 0, noiseVolume: 0 });
  });
});
