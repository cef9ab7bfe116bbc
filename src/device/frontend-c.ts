/**
 * The device's feature front end as C: `kws_features.h` / `kws_features.c` turn 16-bit audio into
 * exactly the int8 features the network was trained and evaluated on (TensorFlow's
 * audio_spectrogram + mfcc ops as src/features computes them, then quantizeFeatures). Every table
 * comes from the same TypeScript that computes the training features; the C does the arithmetic
 * in float32 for a Cortex-M4F's single-precision FPU. Shaped like ARM's hand-written mfcc.cpp: a
 * function per stage, sizes as macros, static buffers, no CMSIS-DSP.
 */
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { KwsError } from '../errors.js';
import { validateFeatureConfig, type FeatureConfig, type FeatureGeometry } from '../features/config.js';
import { MelFilterbank } from '../features/mel.js';
import { FILTERBANK_FLOOR, dctMatrix } from '../features/mfcc.js';
import type { InputQuantization } from '../features/quantize.js';
import { periodicHann } from '../features/spectrogram.js';
import { define } from '../quant/emit-c.js';
import { qFormatName } from '../quant/qformat.js';
import { cInitializer, floatLiteral } from './c-literals.js';

export const FRONT_END_HEADER = 'kws_features.h';
export const FRONT_END_SOURCE = 'kws_features.c';

/** 16-bit PCM full scale: samples are divided by it on load, as TF's decode_wav (src/audio/samples.ts). */
const PCM16_FULL_SCALE = 32768;
/** Range of fractional bits for which 2^decBits is a normal float32, so the C scales exactly. */
const MIN_DEC_BITS = -126;
const MAX_DEC_BITS = 127;

const FLOATS_PER_LINE = 8;
const TWIDDLES_PER_LINE = 4;
const CHANNELS_PER_LINE = 20;

/** The two files' contents (renderFrontEnd) or paths (emitFrontEnd). */
export interface FrontEndFiles {
  header: string;
  source: string;
}

/** Everything the C is generated from: the geometry, the filterbank and the tables. */
interface FrontEndPlan {
  feature: FeatureConfig;
  geometry: FeatureGeometry;
  input: InputQuantization;
  filterbank: MelFilterbank;
  /** Spectrum bins the filterbank reads: [firstBin, firstBin + binCount). */
  binCount: number;
}

function checkInput(input: InputQuantization): void {
  if (input.kind === 'power-of-two') {
    const { decBits } = input;
    if (!Number.isInteger(decBits) || decBits < MIN_DEC_BITS || decBits > MAX_DEC_BITS) {
      throw new KwsError(
        `front end: decBits must be a whole number from ${MIN_DEC_BITS} to ${MAX_DEC_BITS} (got ${decBits})`,
      );
    }
  } else if (!(input.scale > 0 && Number.isFinite(input.scale)) || !Number.isInteger(input.zeroPoint)) {
    throw new KwsError(
      `front end: input scale ${input.scale} and zero point ${input.zeroPoint} are not an int8 format`,
    );
  }
}

/** The int8 format in words, for comments. */
function describeInput(input: InputQuantization): string {
  return input.kind === 'power-of-two'
    ? qFormatName(input.decBits)
    : `scale ${Math.fround(input.scale)}, zero point ${input.zeroPoint}`;
}

function plan(feature: FeatureConfig, input: InputQuantization): FrontEndPlan {
  const geometry = validateFeatureConfig(feature);
  checkInput(input);
  const filterbank = new MelFilterbank({
    spectrumBins: geometry.fftLength / 2 + 1,
    sampleRate: feature.sampleRate,
    channelCount: feature.filterbankChannelCount,
    lowerFrequencyLimit: feature.lowerFrequencyLimit,
    upperFrequencyLimit: feature.upperFrequencyLimit,
  });
  const binCount = filterbank.endBin - filterbank.startBin + 1;
  if (binCount < 1) {
    throw new KwsError(
      'front end: no FFT bin lies between --lower-frequency-limit and --upper-frequency-limit ' +
        `(${feature.lowerFrequencyLimit}-${feature.upperFrequencyLimit} Hz) at this window length`,
    );
  }
  return { feature, geometry, input, filterbank, binCount };
}

/** One line of settings, for the first-line comment of both files. */
function settingsSummary({ feature, geometry, input }: FrontEndPlan): string {
  const values =
    feature.feature === 'mfcc'
      ? `${feature.dctCoefficientCount} MFCCs of ${feature.filterbankChannelCount} mel channels`
      : `${feature.filterbankChannelCount} log mel energies`;
  return (
    `${feature.feature}, ${feature.sampleRate} Hz, window ${feature.windowSizeMs} ms / stride ${feature.windowStrideMs} ms, ` +
    `${values} (${feature.lowerFrequencyLimit}-${feature.upperFrequencyLimit} Hz), ` +
    `${geometry.frames} frames, int8 ${describeInput(input)}`
  );
}

/** The int8 step's macros in the header, and the check against the network's header included before it. */
function inputMacros(input: InputQuantization): string[] {
  if (input.kind === 'power-of-two') {
    return [
      define('KWS_FEATURES_DEC_BITS', input.decBits, 'fractional bits of the int8 features'),
      '#if defined(MFCC_DEC_BITS) && MFCC_DEC_BITS != KWS_FEATURES_DEC_BITS',
      '#error "kws_features.h: the network expects MFCC_DEC_BITS fractional bits, the front end gives KWS_FEATURES_DEC_BITS"',
      '#endif',
    ];
  }
  return [
    define('KWS_FEATURES_INPUT_SCALE', floatLiteral(input.scale), 'int8 = round(value / scale) + zero point'),
    define('KWS_FEATURES_ZERO_POINT', input.zeroPoint),
    '#if defined(KWS_INPUT_ZERO_POINT) && KWS_INPUT_ZERO_POINT != KWS_FEATURES_ZERO_POINT',
    '#error "kws_features.h: the network expects zero point KWS_INPUT_ZERO_POINT, the front end gives KWS_FEATURES_ZERO_POINT"',
    '#endif',
  ];
}

/** The int8 step in words: the header's settings block, the source's stage list. */
function int8Step(input: InputQuantization): string {
  return input.kind === 'power-of-two'
    ? `round(value * 2^${input.decBits}), halves away from zero, saturated to [-128, 127]: ${qFormatName(input.decBits)}`
    : `round(value / ${Math.fround(input.scale)}) + ${input.zeroPoint}, halves away from zero, saturated to [-128, 127]`;
}

function renderHeader(p: FrontEndPlan): string {
  const { feature, geometry, input } = p;
  const mfcc = feature.feature === 'mfcc';
  const channels = feature.filterbankChannelCount;
  return [
    `/* Generated by kws: int8 feature front end (${settingsSummary(p)}). */`,
    '#ifndef KWS_FEATURES_H',
    '#define KWS_FEATURES_H',
    '',
    '#include <stdint.h>',
    '',
    '/*',
    ' * The features the network was trained on: TensorFlow audio_spectrogram(magnitude_squared=True)',
    ` * + ${mfcc ? 'mfcc' : 'the log mel energies of mfcc (lfbe)'}, as kws computes them.`,
    ` *   samples         ${feature.sampleRate} Hz int16, scaled by 1/${PCM16_FULL_SCALE}; ` +
      `a clip is ${feature.clipDurationMs} ms = ${geometry.desiredSamples} samples`,
    ` *   window          ${feature.windowSizeMs} ms = ${geometry.windowSamples} samples, periodic Hann, zero-padded to a ${geometry.fftLength}-point FFT`,
    ` *   stride          ${feature.windowStrideMs} ms = ${geometry.strideSamples} samples: ` +
      `1 + (${geometry.desiredSamples} - ${geometry.windowSamples}) / ${geometry.strideSamples} = ${geometry.frames} frames`,
    ` *   mel filterbank  ${channels} channels, ${feature.lowerFrequencyLimit}-${feature.upperFrequencyLimit} Hz (HTK mel), on the magnitude spectrum`,
    ` *   log             natural log of each channel, floored at ${FILTERBANK_FLOOR}`,
    mfcc
      ? ` *   DCT             coefficients 0-${feature.dctCoefficientCount - 1} of the DCT-II, scaled by sqrt(2/${channels})`
      : ' *   DCT             none: the log mel energies are the features',
    ` *   int8            ${int8Step(input)}`,
    ' * Frame-major: all KWS_FRAME_COEFFS values of frame 0, then frame 1, ...',
    ' */',
    define('KWS_SAMPLE_RATE', feature.sampleRate, 'Hz'),
    define('KWS_AUDIO_SAMPLES', geometry.desiredSamples, 'samples per clip'),
    define('KWS_FRAME_LEN', geometry.windowSamples, 'samples per frame'),
    define('KWS_FRAME_SHIFT', geometry.strideSamples, 'samples between frames'),
    define('KWS_FFT_LEN', geometry.fftLength, 'real FFT points'),
    define('KWS_NUM_FRAMES', geometry.frames),
    define('KWS_NUM_MEL_BINS', channels, 'mel filterbank channels'),
    define('KWS_FRAME_COEFFS', geometry.coefficients, mfcc ? 'MFCCs per frame' : 'log mel energies per frame'),
    define('KWS_FEATURES_SIZE', '(KWS_NUM_FRAMES * KWS_FRAME_COEFFS)', 'int8 values per clip'),
    '',
    "/* The int8 step; included after the network's header, both must describe the same input. */",
    ...inputMacros(input),
    '#if defined(NUM_FRAMES) && defined(NUM_MFCC_COEFFS) && (NUM_FRAMES != KWS_NUM_FRAMES || NUM_MFCC_COEFFS != KWS_FRAME_COEFFS)',
    '#error "kws_features.h: the network input is not NUM_FRAMES x NUM_MFCC_COEFFS = KWS_NUM_FRAMES x KWS_FRAME_COEFFS"',
    '#endif',
    '',
    '#ifdef __cplusplus',
    'extern "C" {',
    '#endif',
    '',
    '/* One frame: KWS_FRAME_LEN samples in, KWS_FRAME_COEFFS int8 features out. Not reentrant (static buffers). */',
    'void kws_features_frame(const int16_t *window, int8_t *out);',
    '',
    '/*',
    ' * A clip: KWS_AUDIO_SAMPLES samples in, KWS_FEATURES_SIZE int8 features out, frame-major: the',
    ' * network input (q7_t is int8_t). Frame f is kws_features_frame(pcm + f * KWS_FRAME_SHIFT, ...).',
    ' */',
    'void kws_features_compute(const int16_t *pcm, int8_t *features);',
    '',
    '#ifdef __cplusplus',
    '}',
    '#endif',
    '',
    '#endif /* KWS_FEATURES_H */',
    '',
  ].join('\n');
}

/** exp(−2πik/N) for k = 0..N/2 as {re, im}: the butterflies' and the real-FFT split's twiddles. */
function fftTwiddles(fftLength: number): Array<[number, number]> {
  return Array.from({ length: fftLength / 2 + 1 }, (_, k): [number, number] => {
    const angle = (2 * Math.PI * k) / fftLength;
    // 0 − sin rather than −sin: no negative zero at k = 0.
    return [Math.cos(angle), 0 - Math.sin(angle)];
  });
}

function floatArray(values: ArrayLike<number>, perLine: number, indent = '  '): string {
  return cInitializer(Array.from(values, floatLiteral), perLine, indent);
}

function renderTables(p: FrontEndPlan): string[] {
  const { feature, geometry, filterbank } = p;
  const bandMapper = Array.from(filterbank.leftSlot, (slot) => String(slot - 1));
  const twiddles = fftTwiddles(geometry.fftLength).map(([re, im]) => `{${floatLiteral(re)}, ${floatLiteral(im)}}`);
  const lines = [
    '/* Periodic Hann window: 0.5 - 0.5 cos(2 pi n / KWS_FRAME_LEN). */',
    `static const float kws_hann[KWS_FRAME_LEN] = ${floatArray(periodicHann(geometry.windowSamples), FLOATS_PER_LINE)};`,
    '',
    '/* FFT twiddles exp(-2 pi i k / KWS_FFT_LEN) as {re, im}, k = 0 .. KWS_FFT_HALF. */',
    `static const float kws_twiddle[KWS_FFT_HALF + 1][2] = ${cInitializer(twiddles, TWIDDLES_PER_LINE)};`,
    '',
    '/*',
    ' * Mel filterbank, per spectrum bin KWS_SPECTRUM_FIRST_BIN + j: the channel whose falling edge the',
    ' * bin is on (-1: below channel 0), which gets kws_mel_weight[j] of its magnitude; the next',
    ' * channel gets the rest.',
    ' */',
    `static const int16_t kws_mel_channel[KWS_SPECTRUM_BINS] = ${cInitializer(bandMapper, CHANNELS_PER_LINE)};`,
    `static const float kws_mel_weight[KWS_SPECTRUM_BINS] = ${floatArray(filterbank.weights, FLOATS_PER_LINE)};`,
    '',
  ];
  if (feature.feature === 'mfcc') {
    const channels = feature.filterbankChannelCount;
    const matrix = dctMatrix(channels, feature.dctCoefficientCount);
    const rows = Array.from({ length: feature.dctCoefficientCount }, (_, k) =>
      floatArray(matrix.subarray(k * channels, (k + 1) * channels), FLOATS_PER_LINE, '    '),
    );
    lines.push(
      '/* DCT-II: sqrt(2 / KWS_NUM_MEL_BINS) cos(pi / KWS_NUM_MEL_BINS (c + 0.5) k), one row per coefficient k. */',
      `static const float kws_dct[KWS_FRAME_COEFFS][KWS_NUM_MEL_BINS] = ${cInitializer(rows, 1)};`,
      '',
    );
  }
  return lines;
}

/** The stages that do not depend on the settings beyond the macros and tables. */
const STAGE_FUNCTIONS = `/* Stage 1: frame[n] = samples[n] * KWS_PCM_SCALE * hann[n], then zeros up to KWS_FFT_LEN. */
static void kws_window_frame(const int16_t *samples, float *frame) {
  for (int n = 0; n < KWS_FRAME_LEN; n++) frame[n] = (float)samples[n] * KWS_PCM_SCALE * kws_hann[n];
  for (int n = KWS_FRAME_LEN; n < KWS_FFT_LEN; n++) frame[n] = 0.0f;
}

/*
 * Stage 2: iterative radix-2 decimation-in-time FFT of KWS_FFT_HALF complex values stored as
 * {re, im} pairs, in place. The span-point butterflies use exp(-2 pi i k / span), which is
 * twiddle k * KWS_FFT_LEN / span.
 */
static void kws_complex_fft(float *data) {
  /* Bit-reversed order first, so each butterfly pass reads and writes its own pair. */
  for (unsigned i = 0, j = 0; i < KWS_FFT_HALF; i++) {
    if (i < j) {
      const float re = data[2 * i];
      const float im = data[2 * i + 1];
      data[2 * i] = data[2 * j];
      data[2 * i + 1] = data[2 * j + 1];
      data[2 * j] = re;
      data[2 * j + 1] = im;
    }
    unsigned bit = KWS_FFT_HALF >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j |= bit;
  }
  for (unsigned span = 2; span <= KWS_FFT_HALF; span <<= 1) {
    const unsigned half = span >> 1;
    const unsigned step = KWS_FFT_LEN / span;
    for (unsigned k = 0; k < half; k++) {
      const float w_re = kws_twiddle[k * step][0];
      const float w_im = kws_twiddle[k * step][1];
      for (unsigned top = k; top < KWS_FFT_HALF; top += span) {
        float *a = data + 2 * top;
        float *b = data + 2 * (top + half);
        const float t_re = w_re * b[0] - w_im * b[1];
        const float t_im = w_re * b[1] + w_im * b[0];
        b[0] = a[0] - t_re;
        b[1] = a[1] - t_im;
        a[0] += t_re;
        a[1] += t_im;
      }
    }
  }
}

/*
 * Stage 3: bin k of the real FFT from the complex one (Z = FFT of x[2m] + i x[2m + 1], H = KWS_FFT_HALF):
 *   X[k] = E + W^k O,  E = (Z[k] + conj Z[H - k]) / 2,  O = (Z[k] - conj Z[H - k]) / 2i,  W = exp(-2 pi i / KWS_FFT_LEN)
 * with indices modulo H. Its magnitude |X[k]| (TensorFlow's sqrt of the power) is split between two
 * channels by the filterbank tables.
 */
static void kws_mel_filterbank(const float *spectrum, float *energy) {
  for (int c = 0; c < KWS_NUM_MEL_BINS; c++) energy[c] = 0.0f;
  for (int j = 0; j < KWS_SPECTRUM_BINS; j++) {
    const int k = KWS_SPECTRUM_FIRST_BIN + j;
    const float *z = spectrum + 2 * (k % KWS_FFT_HALF);
    const float *mirror = spectrum + 2 * ((KWS_FFT_HALF - k) % KWS_FFT_HALF);
    const float even_re = 0.5f * (z[0] + mirror[0]);
    const float even_im = 0.5f * (z[1] - mirror[1]);
    const float odd_re = 0.5f * (z[1] + mirror[1]);
    const float odd_im = 0.5f * (mirror[0] - z[0]);
    const float re = even_re + kws_twiddle[k][0] * odd_re - kws_twiddle[k][1] * odd_im;
    const float im = even_im + kws_twiddle[k][0] * odd_im + kws_twiddle[k][1] * odd_re;
    const float magnitude = sqrtf(re * re + im * im);
    const float weighted = magnitude * kws_mel_weight[j];
    const int channel = kws_mel_channel[j];
    if (channel >= 0) energy[channel] += weighted;
    if (channel + 1 < KWS_NUM_MEL_BINS) energy[channel + 1] += magnitude - weighted;
  }
}
`;

/** Stage 5's int8 step, as quantizeFeaturesAs computes it (roundf: halves away from zero). */
function int8Function(input: InputQuantization): string {
  const scaled =
    input.kind === 'power-of-two'
      ? 'roundf(value * KWS_FEATURES_SCALE)'
      : 'roundf(value / KWS_FEATURES_INPUT_SCALE) + KWS_FEATURES_ZERO_POINT';
  return `/* Stage 5's int8 step: ${int8Step(input)}. */
static int8_t kws_to_int8(float value) {
  const float scaled = ${scaled};
  if (scaled >= INT8_MAX) return INT8_MAX;
  if (scaled <= INT8_MIN) return INT8_MIN;
  return (int8_t)scaled;
}
`;
}

/** The last stage: the DCT then int8 for MFCCs, int8 straight from the log energies for LFBE. */
function featureStage(feature: FeatureConfig): string[] {
  if (feature.feature === 'lfbe') {
    return [
      '  /* 5. The log mel energies are the features: int8 */',
      '  for (int c = 0; c < KWS_NUM_MEL_BINS; c++) out[c] = kws_to_int8(kws_mel_energy[c]);',
    ];
  }
  return [
    '  /* 5. DCT-II of the log energies, then int8 */',
    '  for (int k = 0; k < KWS_FRAME_COEFFS; k++) {',
    '    float sum = 0.0f;',
    '    for (int c = 0; c < KWS_NUM_MEL_BINS; c++) sum += kws_dct[k][c] * kws_mel_energy[c];',
    '    out[k] = kws_to_int8(sum);',
    '  }',
  ];
}

function renderSource(p: FrontEndPlan): string {
  const { feature, geometry, input, filterbank, binCount } = p;
  const hzPerBin = feature.sampleRate / geometry.fftLength;
  return [
    `/* Generated by kws: int8 feature front end (${settingsSummary(p)}). */`,
    '/*',
    ' * int16 audio -> the network input, float32 throughout:',
    ' *   1. samples to float, periodic Hann window, zero padding to KWS_FFT_LEN',
    ' *   2. real FFT, as a KWS_FFT_HALF-point complex FFT (radix 2, in place) of the even and odd samples',
    ' *   3. mel filterbank on the magnitude of bins KWS_SPECTRUM_FIRST_BIN .. KWS_SPECTRUM_LAST_BIN',
    ' *   4. natural log, floored',
    feature.feature === 'mfcc'
      ? ' *   5. DCT-II, then the int8 step (kws_to_int8)'
      : ' *   5. the int8 step (kws_to_int8)',
    ' * The tables come from the TypeScript that computes the training features.',
    ' */',
    '#include <math.h>',
    '#include <stdint.h>',
    '',
    `#include "${FRONT_END_HEADER}"`,
    '',
    define('KWS_FFT_HALF', geometry.fftLength / 2, 'complex FFT points: KWS_FFT_LEN / 2'),
    define(
      'KWS_SPECTRUM_FIRST_BIN',
      filterbank.startBin,
      `first bin the filterbank reads: int(1.5 + ${feature.lowerFrequencyLimit} Hz / ${hzPerBin} Hz)`,
    ),
    define(
      'KWS_SPECTRUM_LAST_BIN',
      filterbank.endBin,
      `last bin: int(${feature.upperFrequencyLimit} Hz / ${hzPerBin} Hz)`,
    ),
    define('KWS_SPECTRUM_BINS', binCount, 'KWS_SPECTRUM_LAST_BIN - KWS_SPECTRUM_FIRST_BIN + 1'),
    define('KWS_PCM_SCALE', `(1.0f / ${PCM16_FULL_SCALE}.0f)`, 'int16 to [-1, 1), as TensorFlow decode_wav'),
    define('KWS_ENERGY_FLOOR', floatLiteral(FILTERBANK_FLOOR), 'mel energies below it are raised to it before the log'),
    ...(input.kind === 'power-of-two'
      ? [define('KWS_FEATURES_SCALE', floatLiteral(2 ** input.decBits), '2^KWS_FEATURES_DEC_BITS')]
      : []),
    '',
    ...renderTables(p),
    '/* Working buffers: the frame, then its spectrum in place; the mel energies, then their logs. */',
    'static float kws_fft_buffer[KWS_FFT_LEN];',
    'static float kws_mel_energy[KWS_NUM_MEL_BINS];',
    '',
    STAGE_FUNCTIONS,
    int8Function(input),
    'void kws_features_frame(const int16_t *window, int8_t *out) {',
    '  /* 1. int16 samples to float, periodic Hann window, zero padding */',
    '  kws_window_frame(window, kws_fft_buffer);',
    '  /* 2. FFT: the real frame read as KWS_FFT_HALF complex values */',
    '  kws_complex_fft(kws_fft_buffer);',
    '  /* 3. Mel filterbank on the magnitude spectrum */',
    '  kws_mel_filterbank(kws_fft_buffer, kws_mel_energy);',
    '  /* 4. Natural log, floored */',
    '  for (int c = 0; c < KWS_NUM_MEL_BINS; c++) {',
    '    const float energy = kws_mel_energy[c];',
    '    kws_mel_energy[c] = logf(energy < KWS_ENERGY_FLOOR ? KWS_ENERGY_FLOOR : energy);',
    '  }',
    ...featureStage(feature),
    '}',
    '',
    'void kws_features_compute(const int16_t *pcm, int8_t *features) {',
    '  for (int f = 0; f < KWS_NUM_FRAMES; f++) {',
    '    kws_features_frame(pcm + f * KWS_FRAME_SHIFT, features + f * KWS_FRAME_COEFFS);',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The two files' text for `feature`, ending in the network's int8 input format `input`. */
export function renderFrontEnd(feature: FeatureConfig, input: InputQuantization): FrontEndFiles {
  const p = plan(feature, input);
  return { header: renderHeader(p), source: renderSource(p) };
}

/** Writes kws_features.h and kws_features.c into `outDir` (each atomically); returns their paths. */
export function emitFrontEnd(feature: FeatureConfig, input: InputQuantization, outDir: string): FrontEndFiles {
  const { header, source } = renderFrontEnd(feature, input);
  const files = { header: path.join(outDir, FRONT_END_HEADER), source: path.join(outDir, FRONT_END_SOURCE) };
  writeFileAtomic(files.header, header);
  writeFileAtomic(files.source, source);
  return files;
}
