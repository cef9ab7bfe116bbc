/**
 * The model's one-second feature window slid over a stream. Window k covers samples
 * [k·hop, k·hop + clip) and holds frames k·hopFrames … k·hopFrames + frames − 1 of the stream, so
 * consecutive windows share all but hopFrames frames: each frame is computed once into a ring
 * and windows are assembled from it (frame reuse), instead of recomputing 49 frames per hop.
 * Memory is fixed: a sample buffer of a few windows and a ring of one window of frames.
 */
import { UsageError } from '../errors.js';
import { featureGeometry, type FeatureGeometry } from '../features/config.js';
import type { FeatureExtractor } from '../features/extractor.js';

/** Hop in samples for `hopMs`; a UsageError unless it is a whole positive number of feature strides. */
export function hopSamplesFor(hopMs: number, geometry: FeatureGeometry, sampleRate: number, strideMs: number): number {
  const exact = (hopMs * sampleRate) / 1000;
  const samples = Math.round(exact);
  if (!(hopMs > 0) || Math.abs(exact - samples) > 1e-6 || samples % geometry.strideSamples !== 0) {
    throw new UsageError(
      `--hop-ms ${hopMs} is not a multiple of the model's feature stride (${strideMs} ms = ${geometry.strideSamples} samples at ${sampleRate} Hz); ` +
        `use ${strideMs}, ${2 * strideMs}, ${3 * strideMs}, …`,
    );
  }
  return samples;
}

export type WindowSink = (features: Float32Array, index: number) => void;

export class SlidingFeatures {
  readonly windowSize: number;
  readonly hopSamples: number;
  /** Samples of one model clip (window k ends at k·hop + clipSamples). */
  readonly clipSamples: number;
  /** The sample buffer's fixed capacity. */
  readonly bufferCapacity: number;
  private readonly hopFrames: number;
  private readonly frames: number;
  private readonly coefficients: number;
  private readonly stride: number;
  private readonly frameSamples: number;
  private readonly buffer: Float32Array;
  /** Stream index of buffer[0]. */
  private bufferStart = 0;
  private bufferLength = 0;
  private readonly ring: Float32Array;
  private readonly window: Float32Array;
  private nextFrame = 0;
  private nextWindow = 0;
  /** Frames computed so far (for the frame-reuse accounting). */
  framesComputed = 0;

  constructor(
    private readonly extractor: FeatureExtractor,
    hopSamples: number,
  ) {
    const geometry = featureGeometry(extractor.config);
    if (hopSamples < 1 || hopSamples % geometry.strideSamples !== 0) {
      throw new RangeError(
        `SlidingFeatures: hop ${hopSamples} is not a multiple of the stride ${geometry.strideSamples}`,
      );
    }
    this.hopSamples = hopSamples;
    this.hopFrames = hopSamples / geometry.strideSamples;
    this.frames = extractor.frames;
    this.coefficients = extractor.coefficients;
    this.stride = geometry.strideSamples;
    this.frameSamples = geometry.windowSamples;
    this.clipSamples = geometry.desiredSamples;
    this.windowSize = extractor.size;
    this.bufferCapacity = 2 * Math.max(this.clipSamples, hopSamples) + 4096;
    this.buffer = new Float32Array(this.bufferCapacity);
    this.ring = new Float32Array(this.windowSize);
    this.window = new Float32Array(this.windowSize);
  }

  /** Samples received so far. */
  get samplesSeen(): number {
    return this.bufferStart + this.bufferLength;
  }

  /** Windows emitted so far. */
  get windowsEmitted(): number {
    return this.nextWindow;
  }

  /** Adds samples and hands every window they complete to `sink` (the array is reused: copy what you keep). */
  push(samples: Float32Array, sink: WindowSink): void {
    let taken = 0;
    while (taken < samples.length) {
      const room = this.bufferCapacity - this.bufferLength;
      const count = Math.min(room, samples.length - taken);
      this.buffer.set(samples.subarray(taken, taken + count), this.bufferLength);
      this.bufferLength += count;
      taken += count;
      this.advance(sink);
    }
  }

  /**
   * The stream ended. A stream shorter than one clip is zero-padded to one (as `eval` pads a
   * short clip), so every input yields at least one window; a last partial hop is not scored.
   */
  end(sink: WindowSink): void {
    if (this.nextWindow === 0 && this.samplesSeen < this.clipSamples) {
      this.push(new Float32Array(this.clipSamples - this.samplesSeen), sink);
    }
  }

  private windowEnd(index: number): number {
    return index * this.hopSamples + this.clipSamples;
  }

  /** Computes every frame the buffer allows, emitting windows as they complete, then drops samples no longer needed. */
  private advance(sink: WindowSink): void {
    const available = this.samplesSeen;
    for (;;) {
      const windowStartFrame = this.nextWindow * this.hopFrames;
      // Frames between windows (hop longer than a window) are never needed.
      if (this.nextFrame < windowStartFrame) this.nextFrame = windowStartFrame;
      const lastFrame = windowStartFrame + this.frames - 1;
      if (this.nextFrame > lastFrame) {
        // All frames of the window are in the ring; emit once its whole clip has arrived.
        if (this.windowEnd(this.nextWindow) > available) break;
        this.emit(sink);
        continue;
      }
      const start = this.nextFrame * this.stride;
      if (start + this.frameSamples > available) break;
      const slot = this.nextFrame % this.frames;
      this.extractor.computeFrame(this.buffer, start - this.bufferStart, this.ring, slot * this.coefficients);
      this.framesComputed++;
      this.nextFrame++;
    }
    const keepFrom = Math.min(Math.max(this.nextFrame, this.nextWindow * this.hopFrames) * this.stride, available);
    const drop = keepFrom - this.bufferStart;
    if (drop > 0) {
      this.buffer.copyWithin(0, drop, this.bufferLength);
      this.bufferLength -= drop;
      this.bufferStart = keepFrom;
    }
  }

  private emit(sink: WindowSink): void {
    const first = this.nextWindow * this.hopFrames;
    const { frames, coefficients } = this;
    for (let f = 0; f < frames; f++) {
      const slot = (first + f) % frames;
      this.window.set(this.ring.subarray(slot * coefficients, (slot + 1) * coefficients), f * coefficients);
    }
    sink(this.window, this.nextWindow);
    this.nextWindow++;
  }
}
