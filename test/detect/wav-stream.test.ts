import fs from 'node:fs';
import path from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/audio/wav.js';
import { WavStreamDecoder, openAudioInput } from '../../src/detect/wav-stream.js';
import { KwsError } from '../../src/errors.js';
import { Random } from '../../src/random.js';
import { testTempDir } from '../helpers/temp-dir.js';

function wavBytes(channels: number, rate: number, bitDepth: string, samples: number[] | number[][]): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, samples);
  return wav.toBuffer();
}

function decodeInPieces(bytes: Uint8Array, piece: number): { samples: Float32Array; decoder: WavStreamDecoder } {
  const decoder = new WavStreamDecoder('test.wav');
  const parts: Float32Array[] = [];
  for (let i = 0; i < bytes.length; i += piece) {
    parts.push(decoder.push(bytes.subarray(i, i + piece)));
    if (decoder.format) expect(decoder.bufferedBytes).toBeLessThan(64);
  }
  decoder.end();
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    samples.set(part, offset);
    offset += part.length;
  }
  return { samples, decoder };
}

const random = new Random(5);
const ints = (n: number, low: number, high: number) => Array.from({ length: n }, () => random.int(low, high));

describe('WavStreamDecoder', () => {
  const cases: Array<[string, number, string, number[] | number[][]]> = [
    ['16-bit mono', 1, '16', ints(3001, -32768, 32768)],
    ['16-bit stereo', 2, '16', [ints(1500, -32768, 32768), ints(1500, -32768, 32768)]],
    ['24-bit mono', 1, '24', ints(999, -8388608, 8388608)],
    ['8-bit mono', 1, '8', ints(777, 0, 256)],
    [
      '32-bit float, 3 channels (extensible header)',
      3,
      '32f',
      [0, 1, 2].map(() => Array.from({ length: 500 }, () => random.uniform(-1, 1))),
    ],
  ];
  it.each(cases)('%s: pieces of any size decode like decodeWav', (_, channels, depth, samples) => {
    const bytes = wavBytes(channels, 16000, depth, samples);
    const whole = decodeWav(bytes, 'x.wav');
    for (const piece of [1, 7, 4096, bytes.length]) {
      const { samples: streamed, decoder } = decodeInPieces(bytes, piece);
      expect(streamed).toEqual(whole.samples);
      expect(decoder.format).toEqual({ sampleRate: 16000, channels, format: whole.format });
    }
  });

  it('reads a data chunk of unknown size (0xFFFFFFFF, as sox/ffmpeg write to a pipe) to the end', () => {
    const bytes = wavBytes(1, 16000, '16', ints(2000, -32768, 32768));
    const piped = bytes.slice();
    new DataView(piped.buffer).setUint32(40, 0xffffffff, true);
    expect(decodeInPieces(piped, 1000).samples).toEqual(decodeWav(bytes, 'x.wav').samples);
  });

  it('stops at the end of a sized data chunk (trailing chunks ignored)', () => {
    const bytes = wavBytes(1, 16000, '16', ints(100, -32768, 32768));
    const trailer = new Uint8Array([...'LIST'].map((c) => c.charCodeAt(0)).concat([4, 0, 0, 0, 1, 2, 3, 4]));
    const withTrailer = new Uint8Array(bytes.length + trailer.length);
    withTrailer.set(bytes);
    withTrailer.set(trailer, bytes.length);
    expect(decodeInPieces(withTrailer, 33).samples).toHaveLength(100);
  });

  it('fails with one clear line for inputs that are not usable WAV streams', () => {
    const end = (bytes: Uint8Array) => () => {
      const decoder = new WavStreamDecoder('in.wav');
      decoder.push(bytes);
      decoder.end();
    };
    expect(end(new Uint8Array(0))).toThrow(new KwsError('in.wav: empty input (0 bytes), not a WAV stream'));
    expect(end(new TextEncoder().encode('hello, this is text and not audio'))).toThrow(/in\.wav: not a WAV stream/);
    const good = wavBytes(1, 16000, '16', ints(10, -100, 100));
    expect(end(good.subarray(0, 30))).toThrow(/in\.wav: truncated WAV header/);
    expect(end(good.subarray(0, 44))).toThrow(/in\.wav: WAV stream has no audio samples/);
    const adpcm = good.slice();
    new DataView(adpcm.buffer).setUint16(20, 2, true);
    expect(end(adpcm)).toThrow(/in\.wav: unsupported WAV encoding \(format code 2, 16 bits\)/);
  });
});

describe('openAudioInput', () => {
  it('reads - as stdin and a file as a stream of chunks; missing files and folders fail with one line', async () => {
    expect(openAudioInput('-')).toBe(process.stdin);
    const dir = testTempDir('detect-input');
    const file = path.join(dir, 'a.wav');
    const bytes = wavBytes(1, 16000, '16', ints(100_000, -32768, 32768));
    fs.writeFileSync(file, bytes);
    const pieces: Uint8Array[] = [];
    for await (const chunk of openAudioInput(file)) pieces.push(chunk);
    expect(pieces.length).toBeGreaterThan(1);
    expect(Buffer.concat(pieces).equals(Buffer.from(bytes))).toBe(true);
    expect(() => openAudioInput(path.join(dir, 'missing.wav'))).toThrow(
      new KwsError(`${path.join(dir, 'missing.wav')}: cannot read (no such file)`),
    );
    expect(() => openAudioInput(dir)).toThrow(new KwsError(`${dir}: cannot read (is a directory)`));
  });

  it('opens the file only when it is read, so a caller that fails first leaves nothing to fail later', async () => {
    const dir = testTempDir('detect-input');
    const file = path.join(dir, 'a.wav');
    fs.writeFileSync(file, wavBytes(1, 16000, '16', ints(1_000, -32768, 32768)));
    let unhandled: unknown;
    const onError = (error: unknown) => (unhandled = error);
    process.on('uncaughtException', onError);
    try {
      const input = openAudioInput(file);
      fs.rmSync(file); // as when kws detect refuses a flag and the folder goes away
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toBeUndefined();
      const read = async () => {
        for await (const chunk of input) expect(chunk).toBeDefined();
      };
      await expect(read()).rejects.toThrow(/ENOENT/);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});
