/**
 * `kws detect --quantized` as device C: `kws_stream.h` / `kws_stream.c` take 16-bit audio in
 * chunks of any size and return keyword detections. Each feature frame is computed once
 * (kws_features_frame) into a ring; every hop the window is assembled from the ring and run
 * through the network (kws_run, kws_softmax); the Q15 probabilities are summed over the averaged
 * windows and the best keyword is gated by threshold and suppression — the integer arithmetic of
 * IntegerPosteriors (src/detect/posteriors.ts), so the C and `kws detect --quantized` agree bit for bit.
 * The operating point is baked in as overridable macros; memory is one static struct per stream.
 */
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { SILENCE_LABEL, UNKNOWN_LABEL } from '../data/dataset-index.js';
import {
  DEFAULT_POSTERIOR_SETTINGS,
  PPM_PER_ONE,
  keywordIndices,
  suppressionSamples,
  thresholdPpm,
  windowsAveraged,
  type PosteriorSettings,
} from '../detect/posteriors.js';
import { hopSamplesFor } from '../detect/sliding-features.js';
import { KwsError } from '../errors.js';
import { validateFeatureConfig, type FeatureGeometry } from '../features/config.js';
import { define } from '../quant/emit-c.js';
import type { DeployedNetwork } from '../quant/deployed.js';
import { PROBABILITY_ONE } from '../quant/softmax.js';
import { cInitializer } from './c-literals.js';
import { FRONT_END_HEADER } from './frontend-c.js';

export const STREAM_HEADER = 'kws_stream.h';
export const STREAM_SOURCE = 'kws_stream.c';

/** KWS_STREAM_MAX_DETECTIONS by default: no push of up to three suppression intervals drops one. */
const DEFAULT_MAX_DETECTIONS = 4;
/** Most windows averaged: a label's sum of Q15 probabilities (each ≤ 32768) is an int32_t. */
export const MAX_AVERAGE_WINDOWS = Math.floor((2 ** 31 - 1) / PROBABILITY_ONE);
/** Sample counters are int32_t: a suppression plus a hop must fit. */
const MAX_COUNTER = 2 ** 31 - 1;
const LABELS_PER_LINE = 20;

export interface StreamOptions extends Partial<PosteriorSettings> {
  network: DeployedNetwork;
  /** KWS_STREAM_MAX_DETECTIONS: the most detections one kws_stream_push returns (default 4). */
  maxDetections?: number;
}

/** The two files' contents (renderStream) or paths (emitStream). */
export interface StreamFiles {
  header: string;
  source: string;
}

/** The operating point in the C's units, and what it was given as. */
interface StreamPlan {
  network: DeployedNetwork;
  geometry: FeatureGeometry;
  settings: Required<PosteriorSettings>;
  hopFrames: number;
  averageWindows: number;
  thresholdPpm: number;
  suppressionSamples: number;
  maxDetections: number;
  keywords: number[];
}

function plan(options: StreamOptions): StreamPlan {
  const { network } = options;
  const feature = network.feature;
  const geometry = validateFeatureConfig(feature);
  if (geometry.frames !== network.frames || geometry.coefficients !== network.coefficients) {
    throw new KwsError(
      `stream: the network reads ${network.frames} x ${network.coefficients} features, its feature settings give ${geometry.frames} x ${geometry.coefficients}`,
    );
  }
  const settings: Required<PosteriorSettings> = {
    hopMs: options.hopMs ?? feature.windowStrideMs,
    averageWindowMs: options.averageWindowMs ?? DEFAULT_POSTERIOR_SETTINGS.averageWindowMs,
    threshold: options.threshold ?? DEFAULT_POSTERIOR_SETTINGS.threshold,
    suppressionMs: options.suppressionMs ?? DEFAULT_POSTERIOR_SETTINGS.suppressionMs,
  };
  const hopSamples = hopSamplesFor(settings.hopMs, geometry, feature.sampleRate, feature.windowStrideMs);
  if (!(settings.averageWindowMs >= 0))
    throw new KwsError(`stream: averageWindowMs must be at least 0 (got ${settings.averageWindowMs})`);
  if (!(settings.threshold >= 0 && settings.threshold <= 1))
    throw new KwsError(`stream: threshold must be from 0 to 1 (got ${settings.threshold})`);
  if (!(settings.suppressionMs >= 0))
    throw new KwsError(`stream: suppressionMs must be at least 0 (got ${settings.suppressionMs})`);
  const averageWindows = windowsAveraged(settings.averageWindowMs, settings.hopMs);
  if (averageWindows > MAX_AVERAGE_WINDOWS) {
    throw new KwsError(
      `stream: averaging ${averageWindows} windows; at most ${MAX_AVERAGE_WINDOWS} fit the 32-bit score sums`,
    );
  }
  const suppression = suppressionSamples(settings.suppressionMs, feature.sampleRate);
  if (suppression + hopSamples > MAX_COUNTER)
    throw new KwsError(`stream: suppression of ${settings.suppressionMs} ms overflows the 32-bit sample counters`);
  const maxDetections = options.maxDetections ?? DEFAULT_MAX_DETECTIONS;
  if (!Number.isInteger(maxDetections) || maxDetections < 1)
    throw new KwsError(`stream: maxDetections must be a whole number of at least 1 (got ${maxDetections})`);
  const keywords = keywordIndices(network.labels);
  if (keywords.length === 0) throw new KwsError('stream: the network has no keywords (only _silence_ and _unknown_)');
  return {
    network,
    geometry,
    settings,
    hopFrames: hopSamples / geometry.strideSamples,
    averageWindows,
    thresholdPpm: thresholdPpm(settings.threshold),
    suppressionSamples: suppression,
    maxDetections,
    keywords,
  };
}

/** `#ifndef NAME` / `#define NAME value` / `#endif`: a setting the build may override. */
function overridable(name: string, value: number, comment: string): string[] {
  return [`#ifndef ${name}`, define(name, value, comment), '#endif'];
}

function ms(value: number): string {
  return `${Number(value.toFixed(3))} ms`;
}

function settingsSummary(p: StreamPlan): string {
  const { network, settings } = p;
  return (
    `${network.architecture}, ${network.labels.length} labels; hop ${ms(settings.hopMs)}, ` +
    `average ${ms(settings.averageWindowMs)}, threshold ${settings.threshold}, suppression ${ms(settings.suppressionMs)}`
  );
}

/** Bytes of kws_stream_t, laid out as renderHeader declares it (natural alignment: wider fields first, no padding). */
export function streamStateBytes(p: {
  classes: number;
  frameSamples: number;
  frames: number;
  coefficients: number;
  averageWindows: number;
}): number {
  const counters = 12 * 4;
  const bytes =
    4 * p.classes + counters + 2 * p.frameSamples + p.frames * p.coefficients + 2 * p.averageWindows * p.classes;
  return Math.ceil(bytes / 4) * 4;
}

function stateBytes(p: StreamPlan): number {
  return streamStateBytes({
    classes: p.network.labels.length,
    frameSamples: p.geometry.windowSamples,
    frames: p.geometry.frames,
    coefficients: p.geometry.coefficients,
    averageWindows: p.averageWindows,
  });
}

function renderHeader(p: StreamPlan): string {
  const { network, geometry, settings } = p;
  const classes = network.labels.length;
  const hopMs = settings.hopMs;
  return [
    `/* Generated by kws: streaming keyword detection (${settingsSummary(p)}). */`,
    '#ifndef KWS_STREAM_H',
    '#define KWS_STREAM_H',
    '',
    '#include <stdint.h>',
    '',
    `#include "${FRONT_END_HEADER}"`,
    '',
    '/*',
    ' * kws detect --quantized on the device, in integers:',
    ' *   1. frames   each int8 feature frame is computed once (kws_features_frame) into a ring of KWS_NUM_FRAMES',
    " *   2. windows  every KWS_STREAM_HOP_SAMPLES the ring's frames, oldest first, are the network input:",
    ' *               kws_run, then kws_softmax (Q15 probabilities, 32768 = 1)',
    ' *   3. average  per label, the sum of the probabilities of the last KWS_AVERAGE_WINDOWS windows',
    ' *               (of every window so far at the start of the stream)',
    ` *   4. keyword  the label with the largest sum, the first on a tie; never ${SILENCE_LABEL} or ${UNKNOWN_LABEL}`,
    ' *   5. gate     it fires when sum / (32768 * windows) >= KWS_THRESHOLD_PPM / 1000000 and the last detection',
    ' *               ended at least KWS_SUPPRESSION_SAMPLES samples before this window',
    ' * Window k ends at stream sample k * KWS_STREAM_HOP_SAMPLES + KWS_AUDIO_SAMPLES: the first at 1 clip.',
    ' */',
    '',
    '/* Operating point: define any of these before including this header (or with -D) to override it. */',
    ...overridable(
      'KWS_STREAM_HOP_FRAMES',
      p.hopFrames,
      `frames the window moves per inference: ${ms(hopMs)} of KWS_FRAME_SHIFT samples`,
    ),
    ...overridable(
      'KWS_AVERAGE_WINDOWS',
      p.averageWindows,
      `windows averaged, those ending in the last ${ms(settings.averageWindowMs)}; 1 = no smoothing`,
    ),
    ...overridable(
      'KWS_THRESHOLD_PPM',
      p.thresholdPpm,
      `averaged score needed to fire, in millionths: ${p.thresholdPpm / PPM_PER_ONE}`,
    ),
    ...overridable(
      'KWS_SUPPRESSION_SAMPLES',
      p.suppressionSamples,
      `after a detection nothing fires for this many samples: ${ms(settings.suppressionMs)}`,
    ),
    ...overridable(
      'KWS_STREAM_MAX_DETECTIONS',
      p.maxDetections,
      'the most detections one kws_stream_push returns (see there)',
    ),
    '',
    define('KWS_STREAM_HOP_SAMPLES', '(KWS_STREAM_HOP_FRAMES * KWS_FRAME_SHIFT)', 'samples between window ends'),
    define('KWS_STREAM_CLASSES', classes, 'labels: KWS_OUTPUT_SIZE of the network'),
    define('KWS_STREAM_KEYWORDS', p.keywords.length, `labels that may fire`),
    '',
    '#if KWS_STREAM_HOP_FRAMES < 1',
    '#error "kws_stream.h: KWS_STREAM_HOP_FRAMES must be at least 1"',
    '#endif',
    `#if KWS_AVERAGE_WINDOWS < 1 || KWS_AVERAGE_WINDOWS > ${MAX_AVERAGE_WINDOWS}`,
    `#error "kws_stream.h: KWS_AVERAGE_WINDOWS must be from 1 to ${MAX_AVERAGE_WINDOWS} (32-bit score sums)"`,
    '#endif',
    '#ifdef KWS_THRESHOLD_BP',
    '#error "kws_stream.h: KWS_THRESHOLD_BP (basis points) is now KWS_THRESHOLD_PPM (millionths): multiply by 100"',
    '#endif',
    `#if KWS_THRESHOLD_PPM < 0 || KWS_THRESHOLD_PPM > ${PPM_PER_ONE}`,
    `#error "kws_stream.h: KWS_THRESHOLD_PPM must be from 0 to ${PPM_PER_ONE}"`,
    '#endif',
    `#if KWS_SUPPRESSION_SAMPLES < 0 || KWS_SUPPRESSION_SAMPLES > ${MAX_COUNTER} - KWS_STREAM_HOP_SAMPLES`,
    '#error "kws_stream.h: KWS_SUPPRESSION_SAMPLES must be at least 0 and fit an int32_t with a hop added"',
    '#endif',
    '#if KWS_STREAM_MAX_DETECTIONS < 1',
    '#error "kws_stream.h: KWS_STREAM_MAX_DETECTIONS must be at least 1"',
    '#endif',
    "/* Included after the network's header: both must have the same labels. */",
    '#if defined(KWS_OUTPUT_SIZE) && KWS_OUTPUT_SIZE != KWS_STREAM_CLASSES',
    '#error "kws_stream.h: the network has KWS_OUTPUT_SIZE labels, the stream was generated for KWS_STREAM_CLASSES"',
    '#endif',
    '',
    '#ifdef __cplusplus',
    'extern "C" {',
    '#endif',
    '',
    '/*',
    ' * One detection. kws detect prints time_s = sample / KWS_SAMPLE_RATE rounded to 3 decimals and',
    ' * score = score_q15_sum / (32768 * windows) rounded to 4.',
    ' */',
    'typedef struct {',
    '  uint32_t sample;       /* stream sample at the end of the window that fired (wraps after 2^32 samples) */',
    '  int32_t label;         /* index into KWS_LABELS */',
    "  int32_t score_q15_sum; /* the label's Q15 probabilities summed over the averaged windows */",
    '  int32_t windows;       /* windows averaged: KWS_AVERAGE_WINDOWS, fewer at the start of the stream */',
    '} kws_detection_t;',
    '',
    '/*',
    ` * One stream's state: ${stateBytes(p)} bytes at the settings above (4 * KWS_STREAM_CLASSES + 48`,
    ' * + 2 * KWS_FRAME_LEN + KWS_FEATURES_SIZE + 2 * KWS_AVERAGE_WINDOWS * KWS_STREAM_CLASSES, rounded up to 4).',
    ` * kws_stream.c adds ${geometry.frames * geometry.coefficients + 3 * classes} bytes of scratch shared by all streams`,
    ' * (KWS_FEATURES_SIZE + 3 * KWS_STREAM_CLASSES).',
    ' */',
    'typedef struct {',
    '  int32_t score_q15_sums[KWS_STREAM_CLASSES]; /* per label, over the windows in the history */',
    '  uint32_t samples_pushed;         /* stream samples so far (wraps after 2^32) */',
    '  uint32_t windows_classified;     /* network runs so far */',
    '  uint32_t frames_computed;        /* feature frames computed so far */',
    "  uint32_t detections_dropped;     /* detections that did not fit a push's KWS_STREAM_MAX_DETECTIONS */",
    '  int32_t samples_to_window_end;   /* samples still to come before the next window is complete */',
    '  int32_t samples_to_skip;         /* samples no frame needs, before the next frame starts */',
    '  int32_t samples_since_detection; /* from the last detection to the last window end, at most KWS_SUPPRESSION_SAMPLES */',
    '  int32_t buffered;                /* samples of the next frame in frame_samples */',
    '  int32_t frames_pending;          /* frames of the next window still to compute */',
    "  int32_t ring_next;               /* ring slot of the next frame; after a window's last frame, its oldest */",
    '  int32_t history_next;            /* history row of the next window; once full, the oldest */',
    '  int32_t history_filled;          /* windows in the history */',
    "  int16_t frame_samples[KWS_FRAME_LEN];               /* the next frame's first samples */",
    '  uint16_t history[KWS_AVERAGE_WINDOWS][KWS_STREAM_CLASSES]; /* Q15 probabilities of the last windows */',
    '  int8_t ring[KWS_NUM_FRAMES][KWS_FRAME_COEFFS];       /* the last KWS_NUM_FRAMES frames */',
    '} kws_stream_t;',
    '',
    '/* Starts a stream: no samples, no windows, no detection. */',
    'void kws_stream_init(kws_stream_t *s);',
    '',
    '/*',
    ' * Adds n samples (KWS_SAMPLE_RATE, any n >= 0) and runs every window they complete. Writes the',
    ' * detections to out[0 .. return value) in time order and returns their count. More than',
    ' * KWS_STREAM_MAX_DETECTIONS in one push: the first ones are returned, the rest are counted in',
    ' * detections_dropped, and each still starts its suppression interval as if it had been returned.',
    ' * Not reentrant (the front end and the network use static buffers).',
    ' */',
    'int kws_stream_push(kws_stream_t *s, const int16_t *samples, int n, kws_detection_t *out);',
    '',
    '/*',
    ' * The stream ended: one shorter than KWS_AUDIO_SAMPLES is zero-padded to one window, as kws detect',
    ' * pads it; otherwise nothing happens (a last partial hop is not scored). Returns detections as kws_stream_push.',
    ' */',
    'int kws_stream_end(kws_stream_t *s, kws_detection_t *out);',
    '',
    '#ifdef __cplusplus',
    '}',
    '#endif',
    '',
    '#endif /* KWS_STREAM_H */',
    '',
  ].join('\n');
}

function renderSource(p: StreamPlan): string {
  const { network } = p;
  const keywordNames = p.keywords.map((k) => network.labels[k]!).join(', ');
  return [
    `/* Generated by kws: streaming keyword detection (${settingsSummary(p)}). */`,
    '#include <stdint.h>',
    '#include <string.h>',
    '',
    `#include "${network.architecture}.h"`,
    `#include "${FRONT_END_HEADER}"`,
    `#include "${STREAM_HEADER}"`,
    '',
    '#if KWS_INPUT_SIZE != KWS_FEATURES_SIZE',
    '#error "kws_stream.c: the network input is not the front end\'s KWS_FEATURES_SIZE"',
    '#endif',
    '',
    `/* Labels that may fire, in label order: ${keywordNames}. */`,
    `static const int16_t kws_keyword_labels[KWS_STREAM_KEYWORDS] = ${cInitializer(p.keywords.map(String), LABELS_PER_LINE)};`,
    '',
    '/* Scratch of one window: the network input, its logits and probabilities. */',
    'static int8_t kws_window_input[KWS_FEATURES_SIZE];',
    'static int8_t kws_window_logits[KWS_STREAM_CLASSES];',
    'static uint16_t kws_window_probs[KWS_STREAM_CLASSES];',
    '',
    STREAM_FUNCTIONS,
  ].join('\n');
}

/** The C that depends on the settings only through the macros. */
const STREAM_FUNCTIONS = `void kws_stream_init(kws_stream_t *s) {
  memset(s, 0, sizeof *s);
  s->samples_to_window_end = KWS_AUDIO_SAMPLES;
  s->samples_since_detection = KWS_SUPPRESSION_SAMPLES;
  s->frames_pending = KWS_NUM_FRAMES;
}

/* Moves the next frame's start count samples on: drops them from the buffer, or skips those not yet pushed. */
static void kws_stream_advance(kws_stream_t *s, int32_t count) {
  if (count >= s->buffered) {
    s->samples_to_skip += count - s->buffered;
    s->buffered = 0;
  } else {
    s->buffered -= count;
    memmove(s->frame_samples, s->frame_samples + count, (size_t)s->buffered * sizeof s->frame_samples[0]);
  }
}

/* A complete window: network, average, best keyword, threshold and suppression. Returns 1 if it fires. */
static int kws_stream_window(kws_stream_t *s, kws_detection_t *detection) {
  /* Network input: the window's frames, oldest first; after its last frame the ring's next slot is the oldest */
  int32_t slot = s->ring_next;
  for (int f = 0; f < KWS_NUM_FRAMES; f++) {
    memcpy(kws_window_input + f * KWS_FRAME_COEFFS, s->ring[slot], KWS_FRAME_COEFFS);
    slot = slot + 1 == KWS_NUM_FRAMES ? 0 : slot + 1;
  }
  kws_run(kws_window_input, kws_window_logits);
  kws_softmax(kws_window_logits, kws_window_probs);
  s->windows_classified++;

  /* Average: running sums over the history; once it is full the oldest window leaves */
  uint16_t *row = s->history[s->history_next];
  for (int c = 0; c < KWS_STREAM_CLASSES; c++) {
    if (s->history_filled == KWS_AVERAGE_WINDOWS) s->score_q15_sums[c] -= row[c];
    s->score_q15_sums[c] += kws_window_probs[c];
    row[c] = kws_window_probs[c];
  }
  if (s->history_filled < KWS_AVERAGE_WINDOWS) s->history_filled++;
  s->history_next = s->history_next + 1 == KWS_AVERAGE_WINDOWS ? 0 : s->history_next + 1;

  /* Best keyword: the largest sum, the first on a tie (the sums share one window count) */
  int32_t best = kws_keyword_labels[0];
  for (int k = 1; k < KWS_STREAM_KEYWORDS; k++) {
    if (s->score_q15_sums[kws_keyword_labels[k]] > s->score_q15_sums[best]) best = kws_keyword_labels[k];
  }

  /* Suppression: window ends are KWS_STREAM_HOP_SAMPLES apart; the count saturates, so it never wraps */
  s->samples_since_detection += KWS_STREAM_HOP_SAMPLES;
  if (s->samples_since_detection > KWS_SUPPRESSION_SAMPLES) s->samples_since_detection = KWS_SUPPRESSION_SAMPLES;

  /* Threshold: sum / (32768 * windows) >= KWS_THRESHOLD_PPM / 1000000, both sides times 1000000 * 32768 * windows */
  const uint32_t sum = (uint32_t)s->score_q15_sums[best];
  const uint32_t windows = (uint32_t)s->history_filled;
  if ((uint64_t)sum * 1000000u < (uint64_t)KWS_THRESHOLD_PPM * 32768u * windows) return 0;
  if (s->samples_since_detection < KWS_SUPPRESSION_SAMPLES) return 0;
  s->samples_since_detection = 0;
  detection->sample = s->samples_pushed;
  detection->label = best;
  detection->score_q15_sum = (int32_t)sum;
  detection->windows = (int32_t)windows;
  return 1;
}

int kws_stream_push(kws_stream_t *s, const int16_t *samples, int n, kws_detection_t *out) {
  int detections = 0;
  while (n > 0) {
    /* 1. Samples: skipped, or into the frame buffer up to a whole frame; once the window's frames are
     *    all computed, no further than its end */
    int32_t take = s->samples_to_skip > 0 ? s->samples_to_skip : KWS_FRAME_LEN - s->buffered;
    if (s->frames_pending == 0 && take > s->samples_to_window_end) take = s->samples_to_window_end;
    if (take > n) take = n;
    if (s->samples_to_skip > 0) {
      s->samples_to_skip -= take;
    } else {
      memcpy(s->frame_samples + s->buffered, samples, (size_t)take * sizeof samples[0]);
      s->buffered += take;
    }
    samples += take;
    n -= take;
    s->samples_pushed += (uint32_t)take;
    s->samples_to_window_end -= take;

    /* 2. A whole frame the window needs: its features into the ring, then on to the next frame */
    if (s->frames_pending > 0 && s->buffered == KWS_FRAME_LEN) {
      kws_features_frame(s->frame_samples, s->ring[s->ring_next]);
      s->ring_next = s->ring_next + 1 == KWS_NUM_FRAMES ? 0 : s->ring_next + 1;
      s->frames_pending--;
      s->frames_computed++;
      kws_stream_advance(s, KWS_FRAME_SHIFT);
    }

    /* 3. A complete window: classify and gate it, then wait for the next one */
    if (s->frames_pending == 0 && s->samples_to_window_end == 0) {
      kws_detection_t detection;
      if (kws_stream_window(s, &detection)) {
        if (detections < KWS_STREAM_MAX_DETECTIONS) {
          out[detections++] = detection;
        } else {
          s->detections_dropped++;
        }
      }
      s->samples_to_window_end = KWS_STREAM_HOP_SAMPLES;
#if KWS_STREAM_HOP_FRAMES > KWS_NUM_FRAMES
      /* The hop is longer than a window: the frames in between are never needed */
      s->frames_pending = KWS_NUM_FRAMES;
      kws_stream_advance(s, (KWS_STREAM_HOP_FRAMES - KWS_NUM_FRAMES) * KWS_FRAME_SHIFT);
#else
      s->frames_pending = KWS_STREAM_HOP_FRAMES;
#endif
    }
  }
  return detections;
}

int kws_stream_end(kws_stream_t *s, kws_detection_t *out) {
  static const int16_t silence = 0;
  int detections = 0;
  while (s->windows_classified == 0) detections += kws_stream_push(s, &silence, 1, out + detections);
  return detections;
}
`;

/** The two files' text for `options.network` at the operating point of `options` (defaults: DEFAULT_POSTERIOR_SETTINGS, hop = stride). */
export function renderStream(options: StreamOptions): StreamFiles {
  const p = plan(options);
  return { header: renderHeader(p), source: renderSource(p) };
}

/** Writes kws_stream.h and kws_stream.c into `outDir` (each atomically); returns their paths. */
export function emitStream(options: StreamOptions, outDir: string): StreamFiles {
  const { header, source } = renderStream(options);
  const files = { header: path.join(outDir, STREAM_HEADER), source: path.join(outDir, STREAM_SOURCE) };
  writeFileAtomic(files.header, header);
  writeFileAtomic(files.source, source);
  return files;
}
