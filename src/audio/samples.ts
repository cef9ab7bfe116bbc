/**
 * WAV sample encodings and their conversion to floats scaled like TensorFlow's `decode_wav`
 * (int16/32768, so [-1, 1) for PCM; float data as stored), shared by the whole-file reader
 * (wav.ts) and the streaming decoder (src/detect/wav-stream.ts).
 */
import { KwsError } from '../errors.js';

export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_IEEE_FLOAT = 3;
/** Its real format code is the first field of the fmt chunk's sub-format GUID. */
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export type Encoding = { kind: 'pcm'; bits: 8 | 16 | 24 | 32 } | { kind: 'float'; bits: 32 | 64 };

/** The encoding of format `code` at `bits` per sample; `name` (the input) is used in the error for anything else. */
export function encodingOf(code: number | undefined, bits: number, name: string): Encoding {
  if (code === WAVE_FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32))
    return { kind: 'pcm', bits };
  if (code === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64)) return { kind: 'float', bits };
  throw new KwsError(
    `${name}: unsupported WAV encoding (format code ${code}, ${bits} bits); use 8/16/24/32-bit PCM or 32-bit float`,
  );
}

/** e.g. "16-bit PCM" or "32-bit float". */
export function describeEncoding(encoding: Encoding): string {
  return `${encoding.bits}-bit ${encoding.kind === 'pcm' ? 'PCM' : 'float'}`;
}

/** One sample at a byte offset of the data, as a decode_wav float. */
export type SampleReader = (view: DataView, byteOffset: number) => number;

/** The reader for `encoding`; PCM is divided by 2^(bits−1) (exact), and 8-bit PCM is unsigned, centred on 128. */
export function sampleReader(encoding: Encoding, littleEndian: boolean): SampleReader {
  switch (encoding.kind === 'pcm' ? encoding.bits : -encoding.bits) {
    case 8:
      return (v, o) => (v.getUint8(o) - 128) / 128;
    case 16:
      return (v, o) => v.getInt16(o, littleEndian) / 32768;
    case 24:
      return littleEndian
        ? (v, o) => ((v.getInt8(o + 2) << 16) | (v.getUint8(o + 1) << 8) | v.getUint8(o)) / 8388608
        : (v, o) => ((v.getInt8(o) << 16) | (v.getUint8(o + 1) << 8) | v.getUint8(o + 2)) / 8388608;
    case 32:
      return (v, o) => v.getInt32(o, littleEndian) / 2147483648;
    case -32:
      return (v, o) => v.getFloat32(o, littleEndian);
    default:
      return (v, o) => v.getFloat64(o, littleEndian);
  }
}
