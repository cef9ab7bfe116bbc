/**
 * Scoring detections against a truth list, and the threshold sweep.
 *
 * Truth CSV: header `time_s,word`, one row per spoken word; `time_s` is the CENTRE of the
 * one-second clip that holds the word (what `kws detect --make-stream` writes). Rows whose word
 * is not one of the model's keywords (e.g. `_unknown_` clips) are distractors: they are not
 * counted for recall, and detections near them are false alarms.
 *
 * A detection is a hit when it has the word of a not-yet-matched truth row whose time is within
 * the tolerance of it (detections fire at the end of the window, so after the word: the default
 * tolerance of 1500 ms is half a clip plus the default averaging window). Each truth row takes
 * at most one detection, the earliest; every other detection is a false alarm.
 */
import fs from 'node:fs';
import { KwsError } from '../errors.js';
import type { ScoreTrace } from './detector.js';
import { DetectionGate, keywordIndices, type Detection } from './posteriors.js';

export interface TruthEvent {
  timeS: number;
  word: string;
}

export const TRUTH_HEADER = 'time_s,word';

export function formatTruthCsv(events: readonly TruthEvent[]): string {
  return `${TRUTH_HEADER}\n${events.map((e) => `${e.timeS.toFixed(3)},${e.word}`).join('\n')}\n`;
}

export function parseTruthCsv(text: string, name: string): TruthEvent[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]
    ?.trim()
    .split(',')
    .map((cell) => cell.trim());
  if (!header || header[0] !== 'time_s' || header[1] !== 'word') {
    throw new KwsError(`${name}: expected the header '${TRUTH_HEADER}' on line 1`);
  }
  const events: TruthEvent[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const [time, word] = line.split(',').map((cell) => cell.trim());
    const timeS = Number(time);
    if (time === '' || !Number.isFinite(timeS) || !word) {
      throw new KwsError(`${name}:${i + 2}: expected 'seconds,word' (got '${line.trim()}')`);
    }
    events.push({ timeS, word: word.toLowerCase() });
  });
  return events.sort((a, b) => a.timeS - b.timeS);
}

export function readTruthCsv(file: string): TruthEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KwsError(`--labels ${file}: cannot read (${code === 'ENOENT' ? 'no such file' : String(code)})`);
  }
  return parseTruthCsv(text, file);
}

export interface ScoringOptions {
  keywords: readonly string[];
  toleranceS: number;
  audioSeconds: number;
}

export interface DetectionScore {
  /** Truth rows of keywords (the recall denominator). */
  keywordEvents: number;
  /** Truth rows of other words. */
  distractors: number;
  hits: number;
  misses: number;
  falseAlarms: number;
  /** hits / keywordEvents; null without keyword rows. */
  recall: number | null;
  falseAlarmsPerHour: number;
}

/** Hits, misses and false alarms of `detections` (any order) against `truth`. */
export function scoreDetections(
  detections: readonly Pick<Detection, 'timeS' | 'label'>[],
  truth: readonly TruthEvent[],
  options: ScoringOptions,
): DetectionScore {
  const keywordSet = new Set(options.keywords);
  const byWord = new Map<string, { times: number[]; matched: boolean[] }>();
  let keywordEvents = 0;
  for (const event of [...truth].sort((a, b) => a.timeS - b.timeS)) {
    if (!keywordSet.has(event.word)) continue;
    keywordEvents++;
    const entry = byWord.get(event.word) ?? { times: [], matched: [] };
    entry.times.push(event.timeS);
    entry.matched.push(false);
    byWord.set(event.word, entry);
  }
  let hits = 0;
  for (const detection of [...detections].sort((a, b) => a.timeS - b.timeS)) {
    const entry = byWord.get(detection.label);
    if (!entry) continue;
    const earliest = detection.timeS - options.toleranceS - 1e-9;
    let i = lowerBound(entry.times, earliest);
    for (; i < entry.times.length && entry.times[i]! <= detection.timeS + options.toleranceS + 1e-9; i++) {
      if (!entry.matched[i]) {
        entry.matched[i] = true;
        hits++;
        break;
      }
    }
  }
  const falseAlarms = detections.length - hits;
  const hours = options.audioSeconds / 3600;
  return {
    keywordEvents,
    distractors: truth.length - keywordEvents,
    hits,
    misses: keywordEvents - hits,
    falseAlarms,
    recall: keywordEvents > 0 ? hits / keywordEvents : null,
    falseAlarmsPerHour: hours > 0 ? falseAlarms / hours : 0,
  };
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The detections a threshold would have given, rerun from the stored smoothed scores. */
export function detectionsFromTrace(
  trace: ScoreTrace,
  labels: readonly string[],
  threshold: number,
  suppressionS: number,
): Detection[] {
  const gate = new DetectionGate(threshold, suppressionS);
  const detections: Detection[] = [];
  for (let k = 0; k < trace.length; k++) {
    const timeS = trace.firstTimeS + k * trace.hopS;
    const score = trace.score[k]!;
    if (gate.offer(timeS, score)) detections.push({ timeS, label: labels[trace.keyword[k]!]!, score });
  }
  return detections;
}

/**
 * 0.05, 0.06, …, 0.99, then 0.995 … 0.99999: a confident model's few false alarms sit above 0.99, and
 * an over-confident one's (a quantisation-aware float model's) above 0.999 (the integer networks'
 * Q15 scores step by 1/32768, so they reach these too).
 */
export const SWEEP_THRESHOLDS: readonly number[] = [
  ...Array.from({ length: 95 }, (_, i) => Math.round((0.05 + i * 0.01) * 100) / 100),
  0.995,
  0.998,
  0.999,
  0.9995,
  0.9998,
  0.9999,
  0.99995,
  0.99999,
];

/** A threshold with as many decimals as it has (at least two): 0.90, 0.995, 0.99999. */
export function formatThreshold(threshold: number): string {
  const decimals = String(threshold).split('.')[1]?.length ?? 0;
  return threshold.toFixed(Math.max(2, Math.min(decimals, 6)));
}

export interface SweepPoint extends DetectionScore {
  threshold: number;
  detections: number;
}

/** Recall and false alarms per hour at each threshold, from one detection pass's trace. */
export function thresholdSweep(
  trace: ScoreTrace,
  labels: readonly string[],
  truth: readonly TruthEvent[],
  options: { toleranceS: number; audioSeconds: number; suppressionS: number; thresholds?: readonly number[] },
): SweepPoint[] {
  const keywords = keywordIndices(labels).map((i) => labels[i]!);
  return (options.thresholds ?? SWEEP_THRESHOLDS).map((threshold) => {
    const detections = detectionsFromTrace(trace, labels, threshold, options.suppressionS);
    return {
      threshold,
      detections: detections.length,
      ...scoreDetections(detections, truth, {
        keywords,
        toleranceS: options.toleranceS,
        audioSeconds: options.audioSeconds,
      }),
    };
  });
}
