import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadClip, readWav } from '../../src/audio/wav.js';
import { makeStream, type MakeStreamOptions } from '../../src/detect/make-stream.js';
import { readTruthCsv } from '../../src/detect/evaluation.js';
import { generateSyntheticDataset } from '../../src/data/synthetic.js';
import { whichSet } from '../../src/data/split.js';
import { KwsError } from '../../src/errors.js';
import { testStreamOptions } from '../helpers/stream.js';
import { tempDir, testTempDir } from '../helpers/temp-dir.js';
import { asPcm16 } from './helpers.js';

const dataDir = tempDir('stream-data');
const outDir = tempDir('stream-out');

beforeAll(() => {
  generateSyntheticDataset({
    dir: dataDir,
    words: ['yes', 'no', 'cat'],
    speakers: 12,
    clipsPerSpeaker: 1,
    seed: 3,
    noiseSeconds: 4,
  });
});

function options(overrides: Partial<MakeStreamOptions>): MakeStreamOptions {
  return testStreamOptions(path.join(outDir, 'stream.wav'), dataDir, overrides);
}

describe('kws detect --make-stream (library)', () => {
  it('places clips where the truth CSV says: the stream holds each clip there (no noise)', () => {
    const result = makeStream(options({ noiseVolume: 0, out: path.join(outDir, 'quiet.wav') }));
    expect(result.truthPath).toBe(path.join(outDir, 'quiet.csv'));
    expect(readTruthCsv(result.truthPath)).toEqual(
      result.truth.map((e) => ({ timeS: Number(e.timeS.toFixed(3)), word: e.word })),
    );
    const wav = readWav(result.wavPath);
    expect(wav.samples.length).toBe(40 * 16000);
    expect(result.placements.length).toBeGreaterThan(8);
    expect(new Set(result.placements.map((p) => p.word))).toEqual(new Set(['yes', 'no', 'cat']));
    let previousEnd = 0;
    result.placements.forEach((placement, i) => {
      // Gaps are uniform in [1, 3] s; time_s is the centre of the clip.
      expect(placement.startSample - previousEnd).toBeGreaterThanOrEqual(16000);
      expect(placement.startSample - previousEnd).toBeLessThanOrEqual(48000);
      previousEnd = placement.startSample + 16000;
      expect(result.truth[i]).toEqual({ timeS: (placement.startSample + 8000) / 16000, word: placement.word });
      expect(path.basename(path.dirname(placement.file))).toBe(placement.word);
      const clip = asPcm16(loadClip(placement.file, { sampleRate: 16000, desiredSamples: 16000 }));
      expect(wav.samples.subarray(placement.startSample, placement.startSample + 16000)).toEqual(clip);
    });
    // Between clips: digital silence.
    expect(Array.from(wav.samples.subarray(0, result.placements[0]!.startSample)).every((v) => v === 0)).toBe(true);
  });

  it('mixes in background noise from _background_noise_, or generates it when the folder is missing', () => {
    const withNoise = makeStream(options({ out: path.join(outDir, 'noisy.wav') }));
    expect(withNoise.noise).toBe('files');
    const samples = readWav(withNoise.wavPath).samples;
    const before = samples.subarray(0, withNoise.placements[0]!.startSample);
    expect(Math.max(...before.map(Math.abs))).toBeGreaterThan(0.005);

    const bare = testTempDir('stream-bare');
    fs.cpSync(path.join(dataDir, 'yes'), path.join(bare, 'yes'), { recursive: true });
    const generated = makeStream(options({ dataDir: bare, out: path.join(outDir, 'generated.wav'), durationS: 10 }));
    expect(generated.noise).toBe('generated');
    expect(generated.placements.every((p) => p.word === 'yes')).toBe(true);
  });

  it('takes only testing-set clips under a hash split, and the same seed gives the same stream', () => {
    const split = { split: 'hash' as const, validationPercentage: 30, testingPercentage: 30, splitSalt: 'kws' };
    const a = makeStream(options({ ...split, out: path.join(outDir, 'a.wav'), words: ['yes', 'no'] }));
    for (const p of a.placements) expect(whichSet(`${p.word}/${path.basename(p.file)}`, 30, 30, 'kws')).toBe('testing');
    const b = makeStream(options({ ...split, out: path.join(outDir, 'b.wav'), words: ['yes', 'no'] }));
    expect(fs.readFileSync(b.wavPath).equals(fs.readFileSync(a.wavPath))).toBe(true);
    expect(a.placements.map((p) => p.word).every((w) => w === 'yes' || w === 'no')).toBe(true);
  });

  it('names the flag for unusable requests', () => {
    expect(() => makeStream(options({ words: ['yes', 'maybe'] }))).toThrow(KwsError);
    expect(() => makeStream(options({ words: ['yes', 'maybe'] }))).toThrow(/--words maybe: no such folder/);
    expect(() => makeStream(options({ durationS: 0.5 }))).toThrow(/--duration-s 0.5 is shorter than one clip/);
    expect(() => makeStream(options({ dataDir: path.join(outDir, 'nope') }))).toThrow(/--data-dir .* does not exist/);
  });
});
