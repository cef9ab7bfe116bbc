/**
 * WAV input: decode any PCM/float WAV to mono float samples as TensorFlow's `decode_wav` scales
 * them, bring it to the model's rate and clip length. `wavefile` parses the RIFF container; the
 * samples are converted by samples.ts with a DataView (wavefile's generic unpacker is slow and
 * reads WAVE_FORMAT_EXTENSIBLE float data as integers).
 */
import fs from 'node:fs';
import wavefile from 'wavefile';
import { KwsError, errorMessage } from '../errors.js';
import { resample } from './resample.js';
import { WAVE_FORMAT_EXTENSIBLE, describeEncoding, encodingOf, sampleReader, type Encoding } from './samples.js';

export { resample } from './resample.js';

export interface DecodedWav {
  /** Mono (channels averaged), scaled like TF decode_wav: int16/32768, so in [-1, 1) for PCM. */
  samples: Float32Array;
  sampleRate: number;
  /** Channels in the file (before the down-mix). */
  channels: number;
  /** Human-readable encoding, e.g. "16-bit PCM" or "32-bit float". */
  format: string;
}

export interface ClipOptions {
  sampleRate: number;
  desiredSamples: number;
  /** Called when the file's rate differs from `sampleRate` (the CLI says so once on stderr). */
  onResample?: (file: string, fromRate: number) => void;
}

export type ClipResult =
  { ok: true; file: string; samples: Float32Array } | { ok: false; file: string; message: string };

/** The fields of wavefile's untyped `fmt` / `data` objects read here. */
interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  subformat?: number[];
}
interface DataChunk {
  chunkSize: number;
  samples: Uint8Array;
}

const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Channel-averaged float samples. Mono 16-bit little-endian, nearly every dataset clip, reads through an Int16Array. */
function toMonoFloat(
  bytes: Uint8Array,
  frames: number,
  channels: number,
  encoding: Encoding,
  littleEndian: boolean,
): Float32Array {
  const samples = new Float32Array(frames);
  if (
    channels === 1 &&
    encoding.kind === 'pcm' &&
    encoding.bits === 16 &&
    littleEndian &&
    bytes.byteOffset % 2 === 0 &&
    isLittleEndianHost
  ) {
    const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, frames);
    // Multiplying by 2^-15 is exact and much faster than dividing.
    const scale = 1 / 32768;
    for (let i = 0; i < frames; i++) samples[i] = pcm[i]! * scale;
    return samples;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(encoding, littleEndian);
  const bytesPerSample = encoding.bits / 8;
  for (let frame = 0, offset = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++, offset += bytesPerSample) sum += read(view, offset);
    samples[frame] = sum / channels;
  }
  return samples;
}

/** Decodes WAV bytes; `name` (usually the path) is used in error messages. */
export function decodeWav(bytes: Uint8Array, name: string): DecodedWav {
  if (bytes.length === 0) throw new KwsError(`${name}: empty file (0 bytes), not a WAV file`);
  const container = String.fromCharCode(...bytes.subarray(0, 4));
  const form = String.fromCharCode(...bytes.subarray(8, 12));
  if (bytes.length < 12 || (container !== 'RIFF' && container !== 'RIFX') || form !== 'WAVE') {
    throw new KwsError(`${name}: not a WAV file (no RIFF/WAVE header)`);
  }
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    throw new KwsError(`${name}: corrupt or truncated WAV (${errorMessage(error).replace(/\.$/, '')})`);
  }
  const fmt = wav.fmt as FmtChunk;
  const data = wav.data as DataChunk;
  // An extensible header carries the real format code in its sub-format GUID.
  const code = fmt.audioFormat === WAVE_FORMAT_EXTENSIBLE && fmt.subformat ? fmt.subformat[0] : fmt.audioFormat;
  const encoding = encodingOf(code, fmt.bitsPerSample, name);
  const channels = fmt.numChannels;
  if (!Number.isInteger(channels) || channels < 1)
    throw new KwsError(`${name}: corrupt WAV header (${channels} channels)`);
  if (!Number.isFinite(fmt.sampleRate) || fmt.sampleRate < 1)
    throw new KwsError(`${name}: corrupt WAV header (sample rate ${fmt.sampleRate})`);
  if (data.samples.length < data.chunkSize) {
    throw new KwsError(
      `${name}: truncated WAV (data chunk declares ${data.chunkSize} bytes, only ${data.samples.length} present)`,
    );
  }
  const bytesPerSample = encoding.bits / 8;
  // A trailing partial frame (a cut-off write) is dropped.
  const frames = Math.floor(data.chunkSize / (bytesPerSample * channels));
  if (frames === 0) throw new KwsError(`${name}: WAV file has no audio samples`);

  const samples = toMonoFloat(data.samples, frames, channels, encoding, container !== 'RIFX');
  return { samples, sampleRate: fmt.sampleRate, channels, format: describeEncoding(encoding) };
}

export function readWav(path: string): DecodedWav {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : errorMessage(error);
    throw new KwsError(`${path}: cannot read (${reason})`);
  }
  return decodeWav(bytes, path);
}

/** A new array of exactly `length` samples: zero-padded at the end or truncated (TF decode_wav's desired_samples). */
export function fitLength(samples: Float32Array, length: number): Float32Array {
  const fitted = new Float32Array(length);
  fitted.set(samples.length > length ? samples.subarray(0, length) : samples);
  return fitted;
}

/** Resample a decoded file to `sampleRate` (telling `onResample`) and pad/trim it to `desiredSamples`. */
export function prepareClip(wav: DecodedWav, file: string, options: ClipOptions): Float32Array {
  let samples = wav.samples;
  if (wav.sampleRate !== options.sampleRate) {
    options.onResample?.(file, wav.sampleRate);
    samples = resample(samples, wav.sampleRate, options.sampleRate);
  }
  return fitLength(samples, options.desiredSamples);
}

/** Read → mono → resample to `sampleRate` → pad/trim to `desiredSamples`. Throws KwsError for unreadable files. */
export function loadClip(path: string, options: ClipOptions): Float32Array {
  return prepareClip(readWav(path), path, options);
}

/** `loadClip` for directory scans: unreadable files come back as `{ ok: false, message }` instead of throwing. */
export function tryLoadClip(path: string, options: ClipOptions): ClipResult {
  try {
    return { ok: true, file: path, samples: loadClip(path, options) };
  } catch (error) {
    if (error instanceof KwsError) return { ok: false, file: path, message: error.message };
    throw error;
  }
}
