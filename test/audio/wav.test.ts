import fs from 'node:fs';
import path from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { decodeWav, fitLength, loadClip, readWav, tryLoadClip } from '../../src/audio/wav.js';
import { KwsError } from '../../src/errors.js';
import { testTempDir } from '../helpers/temp-dir.js';

function wavBytes(
  channels: number,
  rate: number,
  bitDepth: string,
  samples: number[] | number[][],
  container?: string,
): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, samples, container ? { container } : undefined);
  return wav.toBuffer();
}

function tempFile(name: string, bytes: Uint8Array | string): string {
  const dir = testTempDir('wav');
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('decodeWav: sample formats scale like TF decode_wav', () => {
  const cases: Array<[string, number[], number[], string]> = [
    ['8', [0, 1, 128, 255], [-1, -127 / 128, 0, 127 / 128], '8-bit PCM'],
    ['16', [-32768, -1, 0, 1, 32767], [-1, -1 / 32768, 0, 1 / 32768, 32767 / 32768], '16-bit PCM'],
    ['24', [-8388608, -1, 0, 4194304, 8388607], [-1, -1 / 8388608, 0, 0.5, 8388607 / 8388608], '24-bit PCM'],
    [
      '32',
      [-2147483648, -1, 0, 1073741824, 2147483647],
      [-1, -1 / 2147483648, 0, 0.5, 2147483647 / 2147483648],
      '32-bit PCM',
    ],
    ['32f', [-1, -0.25, 0, 0.5, 0.999], [-1, -0.25, 0, 0.5, Math.fround(0.999)], '32-bit float'],
  ];
  it.each(cases)('%s-bit', (bitDepth, stored, expected, format) => {
    const wav = decodeWav(wavBytes(1, 16000, bitDepth, stored), 'x.wav');
    expect(wav.format).toBe(format);
    expect([wav.sampleRate, wav.channels]).toEqual([16000, 1]);
    expect(Array.from(wav.samples)).toEqual(expected.map(Math.fround));
  });

  it('averages channels to mono (stereo, and 3 channels in an extensible header)', () => {
    const stereo = decodeWav(
      wavBytes(2, 22050, '16', [
        [1000, -2000, 0],
        [3000, 2000, -32768],
      ]),
      's.wav',
    );
    expect(stereo.channels).toBe(2);
    expect(stereo.sampleRate).toBe(22050);
    expect(Array.from(stereo.samples)).toEqual([2000 / 32768, 0, -0.5]);
    const three = decodeWav(
      wavBytes(3, 16000, '16', [
        [300, 0],
        [600, 0],
        [900, -3],
      ]),
      't.wav',
    );
    expect(three.channels).toBe(3);
    expect(Array.from(three.samples)).toEqual([Math.fround(600 / 32768), Math.fround(-1 / 32768)]);
  });

  it('reads big-endian RIFX files', () => {
    const wav = decodeWav(wavBytes(1, 16000, '16', [256, -2], 'RIFX'), 'b.wav');
    expect(Array.from(wav.samples)).toEqual([256 / 32768, -2 / 32768]);
  });
});

describe('unreadable files throw one KwsError naming the file', () => {
  const good = wavBytes(
    1,
    16000,
    '16',
    Array.from({ length: 100 }, (_, i) => i),
  );
  const cases: Array<[string, Uint8Array | string, RegExp]> = [
    ['empty', new Uint8Array(0), /empty\.wav: empty file/],
    ['text', 'hello, this is not a wav file at all', /text\.wav: not a WAV file/],
    [
      'truncated',
      good.subarray(0, good.length - 51),
      /truncated\.wav: truncated WAV \(data chunk declares 200 bytes, only 149 present\)/,
    ],
    ['header-only', good.subarray(0, 20), /header-only\.wav: .*(corrupt|truncated)/],
    ['no-data', good.subarray(0, 36), /no-data\.wav: corrupt or truncated WAV \(Could not find the "data" chunk\)/],
    ['alaw', wavBytes(1, 8000, '8a', [1, 2, 3]), /alaw\.wav: unsupported WAV encoding \(format code 6, 8 bits\)/],
    ['no-samples', wavBytes(1, 16000, '16', []), /no-samples\.wav: WAV file has no audio samples/],
  ];
  it.each(cases)('%s', (name, bytes, message) => {
    const file = tempFile(`${name}.wav`, bytes);
    expect(() => readWav(file)).toThrow(KwsError);
    expect(() => readWav(file)).toThrow(message);
    const result = tryLoadClip(file, { sampleRate: 16000, desiredSamples: 16000 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.file).toBe(file);
      expect(result.message).toMatch(message);
      expect(result.message).not.toContain('\n');
    }
  });

  it('a missing file', () => {
    expect(() => readWav('/nonexistent/dir/missing.wav')).toThrow(
      '/nonexistent/dir/missing.wav: cannot read (no such file)',
    );
  });
});

describe('loadClip and fitLength', () => {
  it('pads with zeros at the end or trims, always into a new array', () => {
    const samples = Float32Array.from([1, 2, 3]);
    const padded = fitLength(samples, 5);
    expect(Array.from(padded)).toEqual([1, 2, 3, 0, 0]);
    const trimmed = fitLength(samples, 2);
    expect(Array.from(trimmed)).toEqual([1, 2]);
    trimmed[0] = 9;
    const same = fitLength(samples, 3);
    expect(same).not.toBe(samples);
    expect(Array.from(samples)).toEqual([1, 2, 3]);
  });

  it('reads, resamples (reporting it) and fits to the clip length', () => {
    const tone = Array.from(
      { length: 4000 },
      (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 500 * i) / 8000)) | 0,
    );
    const file = tempFile('low-rate.wav', wavBytes(2, 8000, '16', [tone, tone]));
    const notices: Array<[string, number]> = [];
    const clip = loadClip(file, {
      sampleRate: 16000,
      desiredSamples: 16000,
      onResample: (f, rate) => notices.push([f, rate]),
    });
    expect(notices).toEqual([[file, 8000]]);
    expect(clip).toHaveLength(16000);
    // 4000 samples at 8 kHz are 8000 at 16 kHz; the rest is padding.
    expect(Math.max(...clip.subarray(1000, 7000).map(Math.abs))).toBeCloseTo(10000 / 32768, 2);
    expect(Math.max(...clip.subarray(8100).map(Math.abs))).toBe(0);

    const native = tempFile('native.wav', wavBytes(1, 16000, '16', tone));
    const result = tryLoadClip(native, {
      sampleRate: 16000,
      desiredSamples: 1000,
      onResample: () => notices.push(['again', 0]),
    });
    expect(notices).toHaveLength(1);
    expect(result.ok && Array.from(result.samples)).toEqual(tone.slice(0, 1000).map((v) => Math.fround(v / 32768)));
  });
});
