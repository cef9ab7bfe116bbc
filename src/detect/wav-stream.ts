/**
 * Incremental WAV decoding for audio of any length (files, `-` for stdin): the header is parsed
 * once, then the data chunk is converted piece by piece as bytes arrive, so memory stays at one
 * input chunk whatever the duration. Samples are scaled like TF decode_wav (src/audio/samples.ts)
 * and down-mixed to mono by averaging the channels.
 *
 * A data chunk that declares 0 or 0xFFFFFFFF bytes (what sox and ffmpeg write when their output
 * is a pipe) is read to the end of the input.
 */
import fs from 'node:fs';
import {
  WAVE_FORMAT_EXTENSIBLE,
  describeEncoding,
  encodingOf,
  sampleReader,
  type SampleReader,
} from '../audio/samples.js';
import { KwsError } from '../errors.js';

export interface WavStreamFormat {
  sampleRate: number;
  channels: number;
  /** e.g. "16-bit PCM", as DecodedWav.format. */
  format: string;
}

const STREAMING_SIZES = new Set([0, 0xffffffff]);
/** Chunks before `data` (fmt, LIST, …) larger than this mean the input is not a WAV worth waiting for. */
const MAX_HEADER_BYTES = 1 << 20;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** Push bytes in, get mono samples out. One decoder per input. */
export class WavStreamDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  private headerDone = false;
  private littleEndian = true;
  private read: SampleReader = () => 0;
  private bytesPerSample = 0;
  private blockBytes = 0;
  /** Data bytes still expected; Infinity when the header did not say. */
  private dataRemaining = 0;
  private samplesOut = 0;
  private parsedFormat: WavStreamFormat | null = null;
  /** Set once the header is read and audio data begins. */
  format: WavStreamFormat | null = null;

  constructor(private readonly name: string) {}

  /** Decodes what `bytes` completes; returns the new mono samples (possibly none). */
  push(bytes: Uint8Array): Float32Array {
    this.pending = concat(this.pending, bytes);
    if (!this.headerDone && !this.parseHeader()) return new Float32Array(0);
    const usable = Math.min(this.pending.length, this.dataRemaining);
    const frames = Math.floor(usable / this.blockBytes);
    const out = new Float32Array(frames);
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, frames * this.blockBytes);
    const channels = this.format!.channels;
    for (let frame = 0, offset = 0; frame < frames; frame++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, offset += this.bytesPerSample) sum += this.read(view, offset);
      out[frame] = sum / channels;
    }
    const consumed = frames * this.blockBytes;
    this.dataRemaining -= consumed;
    // Keep only a partial frame; bytes after a sized data chunk (trailing chunks) are dropped.
    this.pending = this.dataRemaining > 0 ? this.pending.slice(consumed) : new Uint8Array(0);
    this.samplesOut += frames;
    return out;
  }

  /** The input ended: complains about a missing header or missing audio. A cut-off last frame is dropped, as readWav does. */
  end(): void {
    if (!this.headerDone) {
      if (this.pending.length === 0) throw new KwsError(`${this.name}: empty input (0 bytes), not a WAV stream`);
      this.checkRiff();
      throw new KwsError(`${this.name}: truncated WAV header (no data chunk)`);
    }
    if (this.samplesOut === 0) throw new KwsError(`${this.name}: WAV stream has no audio samples`);
  }

  /** Bytes held between pushes: at most one partial sample frame once the header is parsed. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  private checkRiff(): void {
    const bytes = this.pending;
    const container = ascii(bytes, 0, Math.min(4, bytes.length));
    const matches = (text: string, want: string) => want.startsWith(text);
    const form = bytes.length > 8 ? ascii(bytes, 8, Math.min(4, bytes.length - 8)) : '';
    if (!(matches(container, 'RIFF') || matches(container, 'RIFX')) || !matches(form, 'WAVE')) {
      throw new KwsError(`${this.name}: not a WAV stream (no RIFF/WAVE header)`);
    }
  }

  /** Returns true once the fmt chunk is read and `pending` starts at the audio data. */
  private parseHeader(): boolean {
    const bytes = this.pending;
    if (bytes.length < 12) {
      this.checkRiff();
      return false;
    }
    this.checkRiff();
    this.littleEndian = ascii(bytes, 0, 4) === 'RIFF';
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let offset = 12;
    while (offset + 8 <= bytes.length) {
      const id = ascii(bytes, offset, 4);
      const size = view.getUint32(offset + 4, this.littleEndian);
      if (id === 'data') {
        if (!this.parsedFormat) throw new KwsError(`${this.name}: WAV data chunk comes before its fmt chunk`);
        this.format = this.parsedFormat;
        this.dataRemaining = STREAMING_SIZES.has(size) ? Infinity : size;
        this.pending = bytes.slice(offset + 8);
        this.headerDone = true;
        return true;
      }
      const padded = size + (size & 1);
      if (offset + 8 + padded > bytes.length) break;
      if (id === 'fmt ') this.readFmt(view, offset + 8, size);
      offset += 8 + padded;
    }
    if (bytes.length > MAX_HEADER_BYTES)
      throw new KwsError(`${this.name}: no WAV data chunk in the first ${MAX_HEADER_BYTES} bytes`);
    return false;
  }

  private readFmt(view: DataView, start: number, size: number): void {
    if (size < 16) throw new KwsError(`${this.name}: corrupt WAV header (fmt chunk of ${size} bytes)`);
    const le = this.littleEndian;
    const formatTag = view.getUint16(start, le);
    const channels = view.getUint16(start + 2, le);
    const sampleRate = view.getUint32(start + 4, le);
    const bits = view.getUint16(start + 14, le);
    // An extensible header carries the real format code in the first field of its sub-format GUID.
    const code = formatTag === WAVE_FORMAT_EXTENSIBLE && size >= 26 ? view.getUint16(start + 24, le) : formatTag;
    const encoding = encodingOf(code, bits, this.name);
    if (channels < 1) throw new KwsError(`${this.name}: corrupt WAV header (${channels} channels)`);
    if (sampleRate < 1) throw new KwsError(`${this.name}: corrupt WAV header (sample rate ${sampleRate})`);
    this.read = sampleReader(encoding, le);
    this.bytesPerSample = bits / 8;
    this.blockBytes = this.bytesPerSample * channels;
    this.parsedFormat = { sampleRate, channels, format: describeEncoding(encoding) };
  }
}

/** The bytes of a WAV file, or of stdin for `-`, as an async sequence of chunks; missing files fail with a one-line KwsError. */
export function openAudioInput(input: string): AsyncIterable<Uint8Array> {
  if (input === '-') return process.stdin;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KwsError(`${input}: cannot read (${code === 'ENOENT' ? 'no such file' : String(code)})`);
  }
  if (stat.isDirectory()) throw new KwsError(`${input}: cannot read (is a directory)`);
  // Opened when first read: a caller that fails before reading (a bad flag) leaves no stream opening behind it.
  return {
    [Symbol.asyncIterator]: () => fs.createReadStream(input, { highWaterMark: 1 << 16 })[Symbol.asyncIterator](),
  };
}
