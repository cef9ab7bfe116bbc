import { describe, expect, it } from 'vitest';
import { KeywordDetector, type ScoreTrace } from '../../src/detect/detector.js';
import {
  SWEEP_THRESHOLDS,
  detectionsFromTrace,
  formatThreshold,
  formatTruthCsv,
  parseTruthCsv,
  scoreDetections,
  thresholdSweep,
  type TruthEvent,
} from '../../src/detect/evaluation.js';
import { sweepHtml, sweepSvg } from '../../src/detect/report.js';
import { KwsError } from '../../src/errors.js';
import { FAKE_LABELS, asPcm16, fakeModel, renderScene, type Burst } from './helpers.js';

describe('truth CSV', () => {
  it('round-trips and sorts by time', () => {
    const events = [
      { timeS: 12.5, word: 'no' },
      { timeS: 3.25, word: 'yes' },
    ];
    const text = formatTruthCsv(events);
    expect(text.split('\n')[0]).toBe('time_s,word');
    expect(parseTruthCsv(text, 't.csv')).toEqual([events[1], events[0]]);
  });

  it('names the file and line of a bad row', () => {
    expect(() => parseTruthCsv('time,word\n1,yes\n', 't.csv')).toThrow(
      new KwsError("t.csv: expected the header 'time_s,word' on line 1"),
    );
    expect(() => parseTruthCsv('time_s,word\n1,yes\n\nabc,no\n', 't.csv')).toThrow(
      new KwsError("t.csv:4: expected 'seconds,word' (got 'abc,no')"),
    );
  });
});

describe('scoring detections against the truth', () => {
  const truth = [
    { timeS: 10, word: 'yes' },
    { timeS: 20, word: 'no' },
    { timeS: 30, word: 'yes' },
    { timeS: 40, word: '_unknown_' },
  ];
  const options = { keywords: ['yes', 'no', 'up'], toleranceS: 1.5, audioSeconds: 1800 };

  it('counts hits, misses and false alarms as worked out by hand', () => {
    const detections = [
      { timeS: 10.8, label: 'yes' }, // hit (yes@10)
      { timeS: 12.0, label: 'yes' }, // false alarm: yes@10 is already taken
      { timeS: 19.0, label: 'no' }, // hit (no@20), before the centre but within tolerance
      { timeS: 30.5, label: 'up' }, // false alarm: wrong word; yes@30 is missed
      { timeS: 40.5, label: 'yes' }, // false alarm near a distractor
    ];
    expect(scoreDetections(detections, truth, options)).toEqual({
      keywordEvents: 3,
      distractors: 1,
      hits: 2,
      misses: 1,
      falseAlarms: 3,
      recall: 2 / 3,
      // 3 in half an hour.
      falseAlarmsPerHour: 6,
    });
  });

  it('uses the tolerance inclusively and gives each truth row at most one detection', () => {
    expect(scoreDetections([{ timeS: 11.5, label: 'yes' }], truth, options).hits).toBe(1);
    expect(scoreDetections([{ timeS: 11.51, label: 'yes' }], truth, options).hits).toBe(0);
    // Two truths of one word in range of two detections: both matched, earliest first.
    const close = [
      { timeS: 5, word: 'yes' },
      { timeS: 6, word: 'yes' },
    ];
    expect(
      scoreDetections(
        [
          { timeS: 5.2, label: 'yes' },
          { timeS: 6.4, label: 'yes' },
        ],
        close,
        options,
      ),
    ).toMatchObject({ hits: 2, falseAlarms: 0 });
    expect(scoreDetections([], [{ timeS: 1, word: '_unknown_' }], options).recall).toBeNull();
  });
});

describe('threshold sweep', () => {
  const bursts: Burst[] = [];
  const truth: TruthEvent[] = [];
  for (let i = 0; i < 14; i++) {
    const kind = i % 3 === 2 ? 'noise' : i % 2 === 0 ? 'low' : 'high';
    bursts.push({ kind, startS: 1 + i * 3.1, durationS: 0.3 + 0.05 * i });
    if (kind !== 'noise') truth.push({ timeS: 1 + i * 3.1 + 0.5, word: kind });
  }
  const detector = new KeywordDetector(fakeModel(), {
    hopMs: 20,
    averageWindowMs: 500,
    threshold: 0.5,
    suppressionMs: 1500,
    keepTrace: true,
  });
  detector.push(asPcm16(renderScene(46, bursts, 9)));
  const result = detector.finish();
  const trace = result.trace as ScoreTrace;
  const sweep = thresholdSweep(trace, FAKE_LABELS, truth, {
    toleranceS: 1.5,
    audioSeconds: result.audioSeconds,
    suppressionS: 1.5,
  });

  it('covers 0.05 … 0.99999 and falls monotonically: fewer detections, lower recall, fewer false alarms', () => {
    expect(sweep.map((p) => p.threshold)).toEqual(SWEEP_THRESHOLDS);
    expect(SWEEP_THRESHOLDS[0]).toBe(0.05);
    expect(SWEEP_THRESHOLDS.at(-1)).toBe(0.99999);
    // Each threshold is printed as itself, so no two rows of a sweep table read the same.
    const printed = SWEEP_THRESHOLDS.map(formatThreshold);
    expect(new Set(printed).size).toBe(SWEEP_THRESHOLDS.length);
    expect(printed.slice(0, 2)).toEqual(['0.05', '0.06']);
    expect(printed.slice(-6)).toEqual(['0.999', '0.9995', '0.9998', '0.9999', '0.99995', '0.99999']);
    for (let i = 1; i < sweep.length; i++) {
      expect(sweep[i]!.detections).toBeLessThanOrEqual(sweep[i - 1]!.detections);
      expect(sweep[i]!.recall!).toBeLessThanOrEqual(sweep[i - 1]!.recall!);
      expect(sweep[i]!.falseAlarmsPerHour).toBeLessThanOrEqual(sweep[i - 1]!.falseAlarmsPerHour);
    }
    // The curve spans something: a low threshold finds most words, the top one misses some.
    expect(sweep[0]!.recall!).toBeGreaterThan(0.8);
    expect(sweep.at(-1)!.recall!).toBeLessThan(sweep[0]!.recall!);
  });

  it('at the run threshold equals scoring the detections the run emitted', () => {
    const point = sweep.find((p) => p.threshold === 0.5)!;
    const direct = scoreDetections(result.detections, truth, {
      keywords: ['low', 'high'],
      toleranceS: 1.5,
      audioSeconds: result.audioSeconds,
    });
    expect(point).toEqual({ threshold: 0.5, detections: result.detections.length, ...direct });
    expect(detectionsFromTrace(trace, FAKE_LABELS, 0.5, 1.5)).toEqual(result.detections);
  });

  it('draws an SVG curve and an HTML page with the chosen threshold marked', () => {
    const evaluation = {
      input: 'scene.wav',
      audioSeconds: result.audioSeconds,
      threshold: 0.5,
      toleranceMs: 1500,
      atThreshold: sweep[45]!,
      sweep,
    };
    const svg = sweepSvg(evaluation);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('>0.50</text>');
    const html = sweepHtml(evaluation);
    expect(html).toContain('<tr class="chosen"><td>0.50</td>');
    expect(html.match(/<tr>|<tr class/g)).toHaveLength(SWEEP_THRESHOLDS.length + 1);
  });
});
