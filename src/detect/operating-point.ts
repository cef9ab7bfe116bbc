/**
 * The detector's operating point, chosen on data instead of a constant: over a stream of the run's
 * validation clips mixed into background noise, every averaging window of a short list and every
 * threshold of the sweep are scored, and the point with the highest recall at no more than the
 * target false alarms per hour is kept (fewest false alarms, then the higher threshold, on ties).
 * A stream resolves one false alarm per its length, so the target is a whole count, rounded up
 * (allowedFalseAlarms).
 * A point that finds nothing does not meet any target: when no point that finds a keyword meets
 * it, the one with the fewest false alarms among those that do is taken.
 * The network runs over the stream once; the other averaging windows replay its scores
 * (sweepCandidatePoints); choosePoint picks from the scored points.
 */
import fs from 'node:fs';
import { KwsError } from '../errors.js';
import { detectStream, type ScoringModel } from './detector.js';
import { thresholdSweep, type TruthEvent } from './evaluation.js';
import { DEFAULT_POSTERIOR_SETTINGS, type PosteriorSettings } from './posteriors.js';

/** 0 (the last window alone) up to tflite-micro's 1000 ms. */
export const AVERAGE_WINDOW_CANDIDATES_MS: readonly number[] = [0, 100, 200, 300, 500, 700, 1000];
/** A hit is a detection of the right word this close to the word's clip centre (kws detect's default). */
export const HIT_TOLERANCE_MS = 1500;

export interface OperatingPointChoice {
  settings: Required<PosteriorSettings>;
  targetFalseAlarmsPerHour: number;
  /** On the tuning stream, at these settings. */
  recall: number;
  falseAlarms: number;
  falseAlarmsPerHour: number;
  /** False when no point that finds a keyword met the target: the one with the fewest false alarms was taken. */
  metTarget: boolean;
  keywordEvents: number;
  streamSeconds: number;
}

/**
 * How many false alarms a stream of `seconds` may hold at `targetPerHour`: the expected count rounded
 * up, since no stream shows a fraction of one (2 per hour on 1,200 s allows one; on a whole hour, two).
 */
export function allowedFalseAlarms(targetPerHour: number, seconds: number): number {
  return Math.max(0, Math.ceil((targetPerHour * seconds) / 3600 - 1e-9));
}

export interface ChooseOptions {
  targetFalseAlarmsPerHour: number;
  hopMs?: number;
  suppressionMs?: number;
  /** Called after each batch of the one pass that runs the network, with the windows scored so far. */
  onWindowsScored?: (windows: number) => void;
}

/** The model's scores recorded on the first pass and replayed, call by call, on the next ones. */
function replaying(
  model: ScoringModel,
  onWindowsScored?: (windows: number) => void,
): ScoringModel & { replay(): void } {
  let windows = 0;
  const recorded: Float32Array[] = [];
  let next = -1;
  return {
    labels: model.labels,
    feature: model.feature,
    quantized: model.quantized,
    scores(x) {
      if (next < 0) {
        const scores = model.scores(x);
        recorded.push(scores);
        windows += scores.length / model.labels.length;
        onWindowsScored?.(windows);
        return scores;
      }
      const scores = recorded[next++];
      if (!scores) throw new Error('operating point: the replayed stream asked for more windows than the first pass');
      return scores;
    },
    replay() {
      next = 0;
    },
  };
}

/** One averaging window and threshold, scored on a stream. */
export interface CandidatePoint {
  settings: Required<PosteriorSettings>;
  recall: number;
  falseAlarms: number;
  falseAlarmsPerHour: number;
  keywordEvents: number;
}

export interface CandidateSweep {
  /** Every averaging window of AVERAGE_WINDOW_CANDIDATES_MS at every threshold of the sweep. */
  points: CandidatePoint[];
  streamSeconds: number;
}

/** Scores every candidate point on one stream: the network runs once, the other windows replay its scores. */
export async function sweepCandidatePoints(
  model: ScoringModel,
  wavPath: string,
  truth: readonly TruthEvent[],
  options: Omit<ChooseOptions, 'targetFalseAlarmsPerHour'> = {},
): Promise<CandidateSweep> {
  const hopMs = options.hopMs ?? model.feature.windowStrideMs;
  const suppressionMs = options.suppressionMs ?? DEFAULT_POSTERIOR_SETTINGS.suppressionMs;
  const replayed = replaying(model, options.onWindowsScored);
  const points: CandidatePoint[] = [];
  let streamSeconds = 0;
  for (const [pass, averageWindowMs] of AVERAGE_WINDOW_CANDIDATES_MS.entries()) {
    if (pass > 0) replayed.replay();
    // The threshold only matters to the sweep, which re-gates the trace.
    const result = await detectStream(fs.createReadStream(wavPath), wavPath, replayed, {
      hopMs,
      averageWindowMs,
      threshold: DEFAULT_POSTERIOR_SETTINGS.threshold,
      suppressionMs,
      keepTrace: true,
    });
    streamSeconds = result.audioSeconds;
    const sweep = thresholdSweep(result.trace!, model.labels, truth, {
      toleranceS: HIT_TOLERANCE_MS / 1000,
      audioSeconds: result.audioSeconds,
      suppressionS: suppressionMs / 1000,
    });
    for (const point of sweep) {
      if (point.recall === null) throw new KwsError(`${wavPath}: the tuning stream holds no keyword`);
      points.push({
        settings: { hopMs, averageWindowMs, threshold: point.threshold, suppressionMs },
        recall: point.recall,
        falseAlarms: point.falseAlarms,
        falseAlarmsPerHour: point.falseAlarmsPerHour,
        keywordEvents: point.keywordEvents,
      });
    }
  }
  return { points, streamSeconds };
}

/** The point of a sweep with the highest recall at no more than the target (see the file comment). */
export function choosePoint(sweep: CandidateSweep, targetFalseAlarmsPerHour: number): OperatingPointChoice {
  const allowed = allowedFalseAlarms(targetFalseAlarmsPerHour, sweep.streamSeconds);
  let best: { point: CandidatePoint; metTarget: boolean; rank: number[] } | undefined;
  for (const point of sweep.points) {
    const found = point.recall > 0;
    const metTarget = found && point.falseAlarms <= allowed;
    // Met targets first, then recall; else a point that finds something, with the fewest false alarms.
    const rank = [
      metTarget ? 1 : 0,
      found ? 1 : 0,
      metTarget ? point.recall : -point.falseAlarmsPerHour,
      -point.falseAlarmsPerHour,
      point.recall,
      point.settings.threshold,
    ];
    if (!best || greater(rank, best.rank)) best = { point, metTarget, rank };
  }
  const { point, metTarget } = best!;
  return { ...point, targetFalseAlarmsPerHour, metTarget, streamSeconds: sweep.streamSeconds };
}

export async function chooseOperatingPoint(
  model: ScoringModel,
  wavPath: string,
  truth: readonly TruthEvent[],
  options: ChooseOptions,
): Promise<OperatingPointChoice> {
  return choosePoint(await sweepCandidatePoints(model, wavPath, truth, options), options.targetFalseAlarmsPerHour);
}

/** Lexicographic a > b. */
function greater(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}
