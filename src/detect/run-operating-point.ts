/**
 * Choosing a run's detector operating point: after training (float model) and after quantisation
 * (the integer network's scores differ), on a stream of the run's validation clips, stored with
 * what it was chosen for (operating-point-store.ts) and used by `kws detect`, `kws firmware` and the
 * generated kws_stream.h unless flags say otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KwsError } from '../errors.js';
import { openClassifier } from '../eval/classifier.js';
import { loadRunConfig } from '../run/config.js';
import { RunDir } from '../run/layout.js';
import { makeStream, runStreamSource, streamClips } from './make-stream.js';
import { chooseOperatingPoint } from './operating-point.js';
import {
  INTEGER_SCORES,
  currentModelSha256,
  storeRunOperatingPoint,
  type ModelKind,
  type StoredOperatingPoint,
} from './operating-point-store.js';

/** Gaps between the clips of the tuning stream, and its longest duration. */
const TUNING_GAP_S = 2;
const MAX_TUNING_SECONDS = 1200;

export interface TuneOptions {
  kind: ModelKind;
  targetFalseAlarmsPerHour: number;
  /** Seconds of the tuning stream scored so far, and its length. */
  onProgress?: (doneSeconds: number, totalSeconds: number) => void;
}

/** Chooses the point for `kind` on a stream of the run's validation clips, stores it, returns it. */
export async function tuneRunOperatingPoint(trainDir: string, options: TuneOptions): Promise<StoredOperatingPoint> {
  const dir = new RunDir(trainDir);
  const run = loadRunConfig(dir);
  if (run.data.split === 'all') {
    throw new KwsError(
      'the run was trained with --split all: it has no validation clips to choose an operating point on',
    );
  }
  const classifier = await openClassifier(trainDir, { quantized: options.kind === 'int8' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-tuning-'));
  try {
    const streamOptions = {
      ...runStreamSource(run),
      out: path.join(work, 'validation.wav'),
      durationS: 0,
      gapS: TUNING_GAP_S,
      noiseVolume: 0.1,
      seed: run.seed,
      set: 'validation' as const,
    };
    // Each validation clip about once, within a bound on the tuning time.
    const clips = [...streamClips(streamOptions).values()].reduce((total, files) => total + files.length, 0);
    const clipSeconds = run.feature.clipDurationMs / 1000 + TUNING_GAP_S;
    streamOptions.durationS = Math.min(MAX_TUNING_SECONDS, Math.max(30, Math.ceil(clips * clipSeconds)));
    const stream = makeStream(streamOptions);
    const hopS = run.feature.windowStrideMs / 1000;
    const choice = await chooseOperatingPoint(classifier, stream.wavPath, stream.truth, {
      targetFalseAlarmsPerHour: options.targetFalseAlarmsPerHour,
      onWindowsScored: (windows) =>
        options.onProgress?.(Math.min(streamOptions.durationS, windows * hopS), streamOptions.durationS),
    });
    const stored: StoredOperatingPoint = {
      ...choice,
      modelSha256: currentModelSha256(dir, options.kind, classifier.checkpoint),
      ...(options.kind === 'int8' ? { integerScores: INTEGER_SCORES } : {}),
    };
    storeRunOperatingPoint(dir, options.kind, stored);
    return stored;
  } finally {
    classifier.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
