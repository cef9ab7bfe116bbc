/**
 * Detections as `kws detect` prints them (and `kws firmware --run`, so the two can be compared
 * line for line), and the operating point both use: typed flags over the run's stored point over
 * the defaults, said on stderr.
 */
import {
  loadRunOperatingPoint,
  resolveOperatingPoint,
  type ModelKind,
  type StoredOperatingPoint,
} from '../detect/operating-point-store.js';
import { DEFAULT_POSTERIOR_SETTINGS, type Detection, type PosteriorSettings } from '../detect/posteriors.js';
import { KwsError } from '../errors.js';
import type { CheckpointName } from '../run/layout.js';
import { createProgress } from './progress.js';

/** Text: `   12.34 s  yes  (score 0.934)`; JSON: `{"time_s":12.34,"label":"yes","score":0.9341}` (+ `file`). */
export function detectionLine(detection: Detection, file: string | undefined, json: boolean): string {
  const time = Math.round(detection.timeS * 1000) / 1000;
  const score = Math.round(detection.score * 10000) / 10000;
  if (json) {
    return `${JSON.stringify({ time_s: time, label: detection.label, score, ...(file === undefined ? {} : { file }) })}\n`;
  }
  const prefix = file === undefined ? '' : `${file}: `;
  return `${prefix}${time.toFixed(2).padStart(9)} s  ${detection.label}  (score ${score.toFixed(3)})\n`;
}

const FLAG_NAMES: Record<keyof PosteriorSettings, string> = {
  hopMs: '--hop-ms',
  averageWindowMs: '--average-window-ms',
  threshold: '--threshold',
  suppressionMs: '--suppression-ms',
};

function describeSettings(settings: PosteriorSettings): string {
  const hop = settings.hopMs === undefined ? "the model's feature stride" : `${settings.hopMs} ms`;
  return (
    `threshold ${settings.threshold}, average ${settings.averageWindowMs} ms, ` +
    `suppression ${settings.suppressionMs} ms, hop ${hop}`
  );
}

function describeChoice(kind: ModelKind, point: StoredOperatingPoint): string {
  const met = point.metTarget ? '' : ' (no setting met the target: the fewest false alarms)';
  return (
    `${kind} operating point chosen on ${point.streamSeconds.toFixed(0)} s of validation clips: ` +
    `recall ${(point.recall * 100).toFixed(1)}% at ${point.falseAlarmsPerHour.toFixed(1)} false alarms/h ` +
    `(${point.falseAlarms} in ${point.streamSeconds.toFixed(0)} s), ` +
    `target ${point.targetFalseAlarmsPerHour}/h${met}`
  );
}

/**
 * `kws train` and `kws quantize`: chooses and stores the run's point for `kind`, with a progress bar.
 * A run without validation clips keeps the defaults, with a warning: its training or quantisation stands.
 */
export async function tuneOperatingPointWithProgress(
  trainDir: string,
  kind: ModelKind,
  targetFalseAlarmsPerHour: number,
): Promise<StoredOperatingPoint | undefined> {
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    // Tuning runs the model (TensorFlow.js); loaded here so commands start without it.
    const { tuneRunOperatingPoint } = await import('../detect/run-operating-point.js');
    const point = await tuneRunOperatingPoint(trainDir, {
      kind,
      targetFalseAlarmsPerHour,
      onProgress: (done, total) => {
        progress ??= createProgress(`operating point (${kind})`, total);
        progress.update(Math.round(done), 's of stream');
      },
    });
    progress?.finish();
    process.stderr.write(`kws: ${describeChoice(kind, point)}: ${describeSettings(point.settings)}\n`);
    return point;
  } catch (error) {
    if (!(error instanceof KwsError)) throw error;
    progress?.finish();
    process.stderr.write(
      `kws: warning: no ${kind} operating point chosen (${error.message}); detection uses the defaults\n`,
    );
    return undefined;
  }
}

/** The settings to detect with for this run and model kind; one line on stderr says where they came from. */
export function runOperatingPoint(
  trainDir: string,
  kind: ModelKind,
  checkpoint: CheckpointName,
  typed: Partial<PosteriorSettings>,
): PosteriorSettings {
  const keys = ['hopMs', 'averageWindowMs', 'threshold', 'suppressionMs'] as const;
  const given = Object.fromEntries(keys.map((key) => [key, typed[key]])) as Partial<PosteriorSettings>;
  if (keys.every((key) => given[key] !== undefined)) return given as PosteriorSettings;
  const loaded = loadRunOperatingPoint(trainDir, kind, checkpoint);
  const stored = loaded.status === 'current' ? loaded.point : undefined;
  const settings = resolveOperatingPoint(given, stored?.settings, DEFAULT_POSTERIOR_SETTINGS);
  const typedKeys = keys.filter((key) => given[key] !== undefined);
  const typedNote = typedKeys.length > 0 ? `; typed: ${typedKeys.map((key) => FLAG_NAMES[key]).join(', ')}` : '';
  if (stored) {
    process.stderr.write(`kws: the run's ${describeChoice(kind, stored)}: ${describeSettings(settings)}${typedNote}\n`);
  } else {
    const why = loaded.status === 'current' ? '' : loaded.reason;
    process.stderr.write(`kws: operating point: the defaults, ${describeSettings(settings)} (${why})${typedNote}\n`);
  }
  return settings;
}
