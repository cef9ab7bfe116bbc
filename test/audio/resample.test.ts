import { describe, expect, it } from 'vitest';
import { resample } from '../../src/audio/resample.js';

function sine(frequency: number, rate: number, length: number, amplitude: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate));
}

function rms(samples: Float32Array): number {
  return Math.sqrt(samples.reduce((sum, v) => sum + v * v, 0) / samples.length);
}

describe('resample (windowed sinc)', () => {
  it.each([
    [44100, 16000, 1000],
    [48000, 16000, 3000],
    [8000, 16000, 440],
    [22050, 16000, 5000],
    [16000, 11025, 2500],
  ])('%i Hz → %i Hz keeps a %i Hz sine’s frequency and amplitude', (from, to, frequency) => {
    const input = sine(frequency, from, from, 0.8);
    const output = resample(input, from, to);
    expect(output).toHaveLength(to);
    const expected = sine(frequency, to, to, 0.8);
    // Away from the edges (where the kernel runs off the signal) it is the ideal sine.
    const margin = 200;
    let worst = 0;
    for (let i = margin; i < to - margin; i++) worst = Math.max(worst, Math.abs(output[i]! - expected[i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    const output = resample(sine(10000, 48000, 48000, 0.8), 48000, 16000);
    expect(rms(output.subarray(200, 15800))).toBeLessThan(1e-3);
  });

  it('length is ceil(n · to / from); equal rates give a copy', () => {
    expect(resample(new Float32Array(10), 3, 2)).toHaveLength(7);
    expect(resample(new Float32Array(44101), 44100, 16000)).toHaveLength(16001);
    const input = Float32Array.from([0.1, 0.2]);
    const same = resample(input, 16000, 16000);
    expect(same).not.toBe(input);
    expect(Array.from(same)).toEqual(Array.from(input));
    expect(() => resample(input, 0, 16000)).toThrow(RangeError);
  });
});
