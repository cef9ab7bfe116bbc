import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KeywordDetector, detectStream, type DetectOptions } from '../../src/detect/detector.js';
import { detectionsFromTrace } from '../../src/detect/evaluation.js';
import type { Detection } from '../../src/detect/posteriors.js';
import { KwsError } from '../../src/errors.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { Random } from '../../src/random.js';
import { FAKE_LABELS, RATE, asPcm16, chunks, fakeModel, renderScene, wavBytes, type Burst } from './helpers.js';

const bursts: Burst[] = [
  { kind: 'low', startS: 1.2, durationS: 0.8 },
  { kind: 'noise', startS: 4, durationS: 1.5 },
  { kind: 'high', startS: 7.5, durationS: 0.8 },
  // Twice the same word close together: the second falls in the suppression interval.
  { kind: 'low', startS: 11, durationS: 0.8 },
  { kind: 'low', startS: 12.1, durationS: 0.8 },
  { kind: 'high', startS: 16, durationS: 0.8 },
];
const scene = asPcm16(renderScene(19, bursts));
const bytes = wavBytes(scene);
const settings: DetectOptions = { hopMs: 20, averageWindowMs: 200, threshold: 0.5, suppressionMs: 1500 };

function runWhole(options: DetectOptions, samples = scene) {
  const detector = new KeywordDetector(fakeModel(), options);
  detector.push(samples);
  return detector.finish();
}

/** The same pipeline written the slow, obvious way: every window from scratch, an explicit mean, an explicit gate. */
function referenceDetections(samples: Float32Array, options: DetectOptions): Detection[] {
  const extractor = createFeatureExtractor(DEFAULT_FEATURE_CONFIG);
  const model = fakeModel();
  const hopMs = options.hopMs ?? DEFAULT_FEATURE_CONFIG.windowStrideMs;
  const hop = (hopMs * RATE) / 1000;
  const scores: Float32Array[] = [];
  for (let start = 0; start + RATE <= samples.length; start += hop)
    scores.push(model.scores(extractor.compute(samples.subarray(start, start + RATE))));
  const span = Math.floor(options.averageWindowMs / hopMs) + 1;
  const detections: Detection[] = [];
  let last = -Infinity;
  scores.forEach((_, k) => {
    const recent = scores.slice(Math.max(0, k - span + 1), k + 1);
    const mean = FAKE_LABELS.map((__, c) => recent.reduce((sum, s) => sum + s[c]!, 0) / recent.length);
    const best = mean[2]! >= mean[3]! ? 2 : 3;
    const timeS = (k * hop + RATE) / RATE;
    if (mean[best]! >= options.threshold && timeS - last >= options.suppressionMs / 1000 - 1e-9) {
      last = timeS;
      detections.push({ timeS, label: FAKE_LABELS[best]!, score: mean[best]! });
    }
  });
  return detections;
}

function expectSameDetections(actual: Detection[], expected: Detection[]): void {
  expect(actual.map((d) => [d.label, d.timeS.toFixed(6)])).toEqual(expected.map((d) => [d.label, d.timeS.toFixed(6)]));
  actual.forEach((d, i) => expect(d.score).toBeCloseTo(expected[i]!.score, 5));
}

describe('keyword detection over a stream (fake classifier)', () => {
  it('fires once per keyword burst, with its label, while the burst is in the window', () => {
    const result = runWhole({ ...settings, threshold: 0.35, suppressionMs: 1500 });
    const separate = result.detections.filter((d) => d.timeS < 10 || d.timeS > 15);
    expect(separate.map((d) => d.label)).toEqual(['low', 'high', 'high']);
    [1.2, 7.5, 16].forEach((start, i) => {
      // Fires once 35% of the window (and of the 200 ms average) holds the tone: after its start, before it leaves the window.
      expect(separate[i]!.timeS).toBeGreaterThan(start + 0.35);
      expect(separate[i]!.timeS).toBeLessThan(start + 0.8 + 1);
    });
    expect(result.windows).toBe(Math.floor((scene.length - RATE) / 320) + 1);
    expect(result.audioSeconds).toBe(19);
  });

  it('silence and loud unknown noise never fire, even at threshold 0.05 without suppression', () => {
    const all = runWhole({ ...settings, threshold: 0.05, suppressionMs: 0 }).detections;
    expect(all.length).toBeGreaterThan(50);
    expect(all.every((d) => d.label === 'low' || d.label === 'high')).toBe(true);
    // Windows ending in (3.3, 7.5] hold only the noise burst and the quiet background.
    expect(all.filter((d) => d.timeS > 3.3 && d.timeS <= 7.5)).toEqual([]);
  });

  it('suppression: detections at least the interval apart, whatever the label', () => {
    const none = runWhole({ ...settings, threshold: 0.35, suppressionMs: 0 }).detections;
    const some = runWhole({ ...settings, threshold: 0.35, suppressionMs: 1500 }).detections;
    const long = runWhole({ ...settings, threshold: 0.35, suppressionMs: 5000 }).detections;
    expect(some.length).toBeLessThan(none.length);
    for (const list of [some, long]) {
      const gap = list === some ? 1.5 : 5;
      for (let i = 1; i < list.length; i++)
        expect(list[i]!.timeS - list[i - 1]!.timeS).toBeGreaterThanOrEqual(gap - 1e-9);
    }
    // The two 'low' bursts 1.1 s apart give two detections at 1.5 s suppression, one at 5 s.
    expect(some.filter((d) => d.timeS > 11 && d.timeS < 15)).toHaveLength(2);
    expect(long.filter((d) => d.timeS > 11 && d.timeS < 15)).toHaveLength(1);
  });

  it.each([
    ['20 ms hop, 200 ms averaging', settings],
    ['60 ms hop, 1000 ms averaging, threshold 0.4', { ...settings, hopMs: 60, averageWindowMs: 1000, threshold: 0.4 }],
    ['no smoothing, no suppression', { ...settings, averageWindowMs: 0, suppressionMs: 0, threshold: 0.7 }],
  ])('%s: equals recomputing each window from scratch with an explicit mean', (_, options) => {
    const expected = referenceDetections(scene, options);
    expect(expected.length).toBeGreaterThan(1);
    expectSameDetections(runWhole(options).detections, expected);
  });

  it('streaming the WAV bytes in any chunking gives the same detections and trace as one push of the whole signal', async () => {
    const whole = runWhole({ ...settings, keepTrace: true });
    for (const size of [333, 4096, 65536, bytes.length]) {
      const model = fakeModel();
      const streamed = await detectStream(chunks(bytes, size), 'scene.wav', model, {
        ...settings,
        keepTrace: true,
        batchWindows: 16,
      });
      expectSameDetections(streamed.detections, whole.detections);
      expect(streamed.trace!.keyword).toEqual(whole.trace!.keyword);
      expect(Array.from(streamed.trace!.score)).toEqual(
        Array.from(whole.trace!.score).map((v) => expect.closeTo(v, 9)),
      );
      expect(Math.max(...model.calls)).toBeLessThanOrEqual(16);
      expect(streamed.format).toEqual({ sampleRate: 16000, channels: 1, format: '16-bit PCM' });
    }
  });

  it('the trace reruns to the detections that were emitted', () => {
    const result = runWhole({ ...settings, keepTrace: true });
    expectSameDetections(
      detectionsFromTrace(result.trace!, FAKE_LABELS, settings.threshold, settings.suppressionMs / 1000),
      result.detections,
    );
  });

  it('reports each detection as it fires', () => {
    const seen: Detection[] = [];
    const result = runWhole({ ...settings, onDetection: (d) => seen.push(d) });
    expect(seen).toEqual(result.detections);
  });

  it('rejects audio at another sample rate with one clear line', async () => {
    await expect(
      detectStream(chunks(wavBytes(scene.subarray(0, 8000), 8000), 1000), 'low.wav', fakeModel(), settings),
    ).rejects.toThrow(
      new KwsError(
        'low.wav: 8000 Hz audio, but the model expects 16000 Hz; convert it first (e.g. sox in.wav -r 16000 out.wav)',
      ),
    );
  });

  it('keeps memory bounded on 20 minutes of streamed audio', async () => {
    const minutes = 20;
    const total = minutes * 60 * RATE;
    const random = new Random(3);
    // A pipe-style header (data size unknown), then 16-bit PCM made on the fly: quiet noise with a 300 Hz tone every 10 s.
    async function* generate(): AsyncGenerator<Uint8Array> {
      const header = wavBytes(new Float32Array(0)).slice(0, 44);
      new DataView(header.buffer).setUint32(40, 0xffffffff, true);
      yield header;
      const block = 1 << 15;
      for (let start = 0; start < total; start += block) {
        const pcm = new Int16Array(Math.min(block, total - start));
        for (let i = 0; i < pcm.length; i++) {
          const t = (start + i) / RATE;
          const tone = t % 10 >= 5 && t % 10 < 5.8 ? 0.5 * Math.sin(2 * Math.PI * 300 * t) : 0;
          pcm[i] = Math.round((tone + 0.001 * random.uniform(-1, 1)) * 32767);
        }
        yield new Uint8Array(pcm.buffer);
        sample();
      }
    }
    // Typed arrays live outside the JS heap: count the array buffers too, sampled at every chunk.
    const used = () => {
      const memory = process.memoryUsage();
      return memory.heapUsed + memory.arrayBuffers;
    };
    const before = used();
    let peak = before;
    const sample = () => {
      peak = Math.max(peak, used());
    };
    const result = await detectStream(Readable.from(generate()), 'long.wav', fakeModel(), {
      ...settings,
      onDetection: sample,
    });
    sample();
    expect(result.audioSeconds).toBe(minutes * 60);
    expect(result.detections).toHaveLength(minutes * 6);
    expect(result.detections.every((d) => d.label === 'low')).toBe(true);
    // The audio alone is 38 MB as int16 and 77 MB as float32: holding it (or per-window data) would show.
    expect((peak - before) / 2 ** 20).toBeLessThan(20);
  });
});
