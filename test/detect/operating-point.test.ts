import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectStream } from '../../src/detect/detector.js';
import { scoreDetections, thresholdSweep, type TruthEvent } from '../../src/detect/evaluation.js';
import {
  AVERAGE_WINDOW_CANDIDATES_MS,
  HIT_TOLERANCE_MS,
  allowedFalseAlarms,
  chooseOperatingPoint,
  choosePoint,
  sweepCandidatePoints,
  type CandidatePoint,
} from '../../src/detect/operating-point.js';
import { resolveOperatingPoint } from '../../src/detect/operating-point-store.js';
import { DEFAULT_POSTERIOR_SETTINGS, type PosteriorSettings } from '../../src/detect/posteriors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { asPcm16, fakeModel, renderScene, wavBytes, type Burst } from './helpers.js';

const work = tempDir('operating-point');

/**
 * Keywords (tones the truth lists) of different lengths, so the window's score ranges from about
 * 0.3 to 0.9, and distractors: short tones the truth does not list (false alarms when they fire)
 * and loud noise (the fake model's unknown word). No threshold catches every keyword without
 * firing on a distractor, so the choice is a real trade.
 */
function scene(seed: number, seconds: number, distractorS: number): { wav: string; truth: TruthEvent[] } {
  const bursts: Burst[] = [];
  const truth: TruthEvent[] = [];
  let t = 1.5;
  let i = 0;
  while (t + 2 < seconds) {
    const kind = i % 2 === 0 ? 'low' : 'high';
    if (i % 4 === 3) {
      bursts.push({ kind, startS: t, durationS: distractorS });
    } else if (i % 7 === 5) {
      bursts.push({ kind: 'noise', startS: t, durationS: 1 });
    } else {
      const durationS = 0.3 + ((i * 37) % 7) / 10;
      bursts.push({ kind, startS: t, durationS });
      truth.push({ timeS: t + durationS / 2, word: kind });
    }
    t += 3;
    i++;
  }
  const wav = path.join(work, `scene-${seed}-${distractorS}.wav`);
  fs.writeFileSync(wav, wavBytes(asPcm16(renderScene(seconds, bursts, seed))));
  return { wav, truth };
}

async function detect(wav: string, settings: Required<PosteriorSettings>, keepTrace = false) {
  return detectStream(fs.createReadStream(wav), wav, fakeModel(), { ...settings, keepTrace });
}

/** A fresh detection pass at `settings` (no replayed scores), scored against the truth. */
async function scoreAt(wav: string, truth: readonly TruthEvent[], settings: Required<PosteriorSettings>) {
  const fresh = await detect(wav, settings);
  return scoreDetections(fresh.detections, truth, {
    keywords: ['low', 'high'],
    toleranceS: HIT_TOLERANCE_MS / 1000,
    audioSeconds: fresh.audioSeconds,
  });
}

describe('chooseOperatingPoint', () => {
  it('keeps the best recall at no more than the target false alarms, and the settings reproduce it', async () => {
    const { wav, truth } = scene(1, 60, 0.45);
    const targetFalseAlarmsPerHour = 0;
    const choice = await chooseOperatingPoint(fakeModel(), wav, truth, { targetFalseAlarmsPerHour });
    expect(choice.metTarget).toBe(true);
    expect(choice.falseAlarmsPerHour).toBe(0);
    expect(choice.keywordEvents).toBe(truth.length);

    // A fresh pass at the chosen settings (no replayed scores) scores the same.
    const scored = await scoreAt(wav, truth, choice.settings);
    expect(scored.recall).toBe(choice.recall);
    expect(scored.falseAlarmsPerHour).toBe(choice.falseAlarmsPerHour);

    // No window and threshold of the search does better within the target (each window run afresh).
    let bestRecall = 0;
    for (const averageWindowMs of AVERAGE_WINDOW_CANDIDATES_MS) {
      const settings = { ...choice.settings, averageWindowMs };
      const { trace, audioSeconds } = await detect(wav, settings, true);
      const sweep = thresholdSweep(trace!, fakeModel().labels, truth, {
        toleranceS: HIT_TOLERANCE_MS / 1000,
        audioSeconds,
        suppressionS: settings.suppressionMs / 1000,
      });
      for (const point of sweep) {
        if (point.falseAlarmsPerHour <= targetFalseAlarmsPerHour) bestRecall = Math.max(bestRecall, point.recall!);
      }
    }
    expect(choice.recall).toBe(bestRecall);
    // The trade is real: the distractors keep some keywords out of reach, and the default point is worse.
    expect(choice.recall).toBeLessThan(1);
    const defaultScore = await scoreAt(wav, truth, { ...DEFAULT_POSTERIOR_SETTINGS, hopMs: 20 });
    expect(defaultScore.recall!).toBeLessThan(choice.recall);
  });

  it('a looser target buys recall with false alarms', async () => {
    const { wav, truth } = scene(2, 60, 0.45);
    const strict = await chooseOperatingPoint(fakeModel(), wav, truth, { targetFalseAlarmsPerHour: 0 });
    const loose = await chooseOperatingPoint(fakeModel(), wav, truth, { targetFalseAlarmsPerHour: 1000 });
    expect(loose.recall).toBeGreaterThan(strict.recall);
    expect(loose.falseAlarms).toBeGreaterThan(0);
    expect(loose.falseAlarms).toBeLessThanOrEqual(allowedFalseAlarms(1000, loose.streamSeconds));
  });

  it('allows the target as a whole count of false alarms, rounded up', () => {
    expect(allowedFalseAlarms(2, 1200)).toBe(1);
    expect(allowedFalseAlarms(2, 3600)).toBe(2);
    expect(allowedFalseAlarms(2, 7200)).toBe(4);
    expect(allowedFalseAlarms(3, 1200)).toBe(1);
    expect(allowedFalseAlarms(0, 1200)).toBe(0);
  });

  it('when nothing meets the target, says so and takes the fewest false alarms', async () => {
    // Distractors longer than the window score 1: even the highest threshold fires on them.
    const { wav, truth } = scene(3, 45, 1.5);
    const choice = await chooseOperatingPoint(fakeModel(), wav, truth, { targetFalseAlarmsPerHour: 0 });
    expect(choice.metTarget).toBe(false);
    expect(choice.falseAlarmsPerHour).toBeGreaterThan(0);
    const fresh = await detect(wav, choice.settings);
    expect(choice.recall).toBeGreaterThan(0);
    expect(fresh.detections.length).toBeGreaterThan(0);
  });
});

describe('choosePoint', () => {
  const point = (threshold: number, recall: number, falseAlarms: number): CandidatePoint => ({
    settings: { hopMs: 20, averageWindowMs: 500, threshold, suppressionMs: 1500 },
    recall,
    falseAlarms,
    falseAlarmsPerHour: falseAlarms * 3,
    keywordEvents: 100,
  });
  const sweep = (...points: CandidatePoint[]) => ({ points, streamSeconds: 1200 });

  it('takes the best recall within the allowed count, then fewer false alarms, then the higher threshold', () => {
    const choice = choosePoint(
      sweep(point(0.5, 0.9, 2), point(0.6, 0.7, 1), point(0.7, 0.7, 0), point(0.8, 0.7, 0), point(0.9, 0.4, 0)),
      2,
    );
    expect(choice.settings.threshold).toBe(0.8);
    expect(choice).toMatchObject({ recall: 0.7, falseAlarms: 0, metTarget: true, targetFalseAlarmsPerHour: 2 });
    expect(choice.streamSeconds).toBe(1200);
  });

  it('a point that finds nothing never meets the target; without one that does, the fewest false alarms', () => {
    const choice = choosePoint(sweep(point(0.5, 0.9, 4), point(0.7, 0.5, 2), point(0.99, 0, 0)), 2);
    expect(choice).toMatchObject({ recall: 0.5, falseAlarms: 2, metTarget: false });
  });
});

describe('sweepCandidatePoints', () => {
  it('scores every averaging window at every threshold, as one detection pass at those settings does', async () => {
    const { wav, truth } = scene(4, 30, 0.45);
    const sweep = await sweepCandidatePoints(fakeModel(), wav, truth);
    const windows = new Set(sweep.points.map((p) => p.settings.averageWindowMs));
    expect([...windows]).toEqual(AVERAGE_WINDOW_CANDIDATES_MS);
    const probe = sweep.points.find((p) => p.settings.averageWindowMs === 300 && p.settings.threshold === 0.6)!;
    const score = await scoreAt(wav, truth, probe.settings);
    expect(score.recall).toBe(probe.recall);
    expect(score.falseAlarms).toBe(probe.falseAlarms);
  });
});

describe('resolveOperatingPoint', () => {
  const stored = { hopMs: 40, averageWindowMs: 300, threshold: 0.62, suppressionMs: 1500 };
  it('typed flags over the stored point over the defaults, one setting at a time', () => {
    expect(resolveOperatingPoint({}, stored, DEFAULT_POSTERIOR_SETTINGS)).toEqual(stored);
    expect(resolveOperatingPoint({ threshold: 0.8 }, stored, DEFAULT_POSTERIOR_SETTINGS)).toEqual({
      ...stored,
      threshold: 0.8,
    });
    expect(resolveOperatingPoint({ averageWindowMs: 0 }, undefined, DEFAULT_POSTERIOR_SETTINGS)).toEqual({
      ...DEFAULT_POSTERIOR_SETTINGS,
      hopMs: undefined,
      averageWindowMs: 0,
    });
  });
});
