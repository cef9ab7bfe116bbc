import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/data/dataset-index.js';
import { computeStats, measureClip, speakerOf } from '../../src/data/stats.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dataConfig, writeWav } from './helpers.js';

const root = tempDir('stats');

function sine(amplitude: number, seconds: number, sampleRate = 16000): Float32Array {
  return new Float32Array(Math.round(seconds * sampleRate)).map(
    (_, i) => amplitude * Math.sin((2 * Math.PI * 440 * i) / sampleRate),
  );
}

describe('stats', () => {
  it('measures RMS and peak in dBFS (meyda frame energies, no window)', () => {
    const levels = measureClip(sine(0.5, 1), 16000);
    expect(levels.durationSeconds).toBe(1);
    expect(levels.rmsDbfs).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 2);
    expect(levels.peakDbfs).toBeCloseTo(20 * Math.log10(0.5), 2);
    // 1000 samples: the last frame is partial and must not dilute the level.
    expect(measureClip(sine(0.5, 1000 / 16000), 16000).rmsDbfs).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 1);
    expect(measureClip(new Float32Array(800), 16000)).toEqual({ durationSeconds: 0.05, rmsDbfs: -120, peakDbfs: -120 });
  });

  it('reads the speaker before _nohash_, without a word prefix', () => {
    expect(speakerOf('0a7c2a8d_nohash_3.wav')).toBe('0a7c2a8d');
    expect(speakerOf('backward_0c540988_nohash_0.wav.wav')).toBe('0c540988');
    expect(speakerOf('1037.wav')).toBeNull();
  });

  it('counts clips, speakers, duration, clipped and near-silent clips per label and set', () => {
    const dir = path.join(root, 'data');
    writeWav(path.join(dir, 'yes', 'aaaa_nohash_0.wav'), sine(1, 1));
    writeWav(path.join(dir, 'yes', 'aaaa_nohash_1.wav'), sine(0.25, 0.5));
    writeWav(path.join(dir, 'yes', 'bbbb_nohash_0.wav'), sine(0.001, 1));
    writeWav(path.join(dir, 'dog', 'cccc_nohash_0.wav'), sine(0.1, 1));
    writeWav(path.join(dir, '_background_noise_', 'hum.wav'), sine(0.1, 3));
    fs.writeFileSync(path.join(dir, 'dog', 'broken_nohash_0.wav'), 'nope');
    const index = buildIndex(dataConfig(dir, { wantedWords: ['yes'], split: 'all' }));
    const stats = computeStats(index);
    const yes = stats.rows.find((row) => row.label === 'yes' && row.set === 'testing')!;
    expect(yes).toMatchObject({ clips: 3, speakers: 2, clipped: 1, nearSilent: 1 });
    expect(yes.durationSeconds).toBeCloseTo(2.5, 6);
    expect(yes.peakDbfs).toBeCloseTo(0, 2);
    expect(stats.rows.find((row) => row.label === 'yes' && row.set === 'all')).toMatchObject({ clips: 3 });
    expect(stats.rows.find((row) => row.label === '_unknown_' && row.set === 'testing')).toMatchObject({
      clips: 1,
      speakers: 1,
      clipped: 0,
    });
    expect(stats.rows.find((row) => row.label === '*' && row.set === 'all')).toMatchObject({ clips: 4, speakers: 3 });
    expect(stats.rows.some((row) => row.set === 'training')).toBe(false);
    expect(stats.noise.files).toBe(1);
    expect(stats.noise.durationSeconds).toBeCloseTo(3, 6);
    expect(stats.unreadable).toBe(1);
    expect(stats.warnings[0]).toMatch(/skipped 1 unreadable WAV\(s\): .*broken_nohash_0\.wav/);
  });
});
