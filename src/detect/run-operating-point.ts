/**
 * A run's detector operating point: chosen after training (float model) and after quantisation
 * (the integer network's scores differ), stored in the run as operating-point.json with what it
 * was chosen for, and used by `kws detect`, `kws firmware` and the generated kws_stream.h unless
 * flags say otherwise. A point chosen for an earlier checkpoint or network is not used.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { KwsError, errorMessage } from '../errors.js';
import { openClassifier } from '../eval/classifier.js';
import { loadRunConfig } from '../run/config.js';
import { RunDir } from '../run/layout.js';
import { checkpointIdentity } from '../run/provenance.js';
import { makeStream, runStreamSource, streamClips } from './make-stream.js';
import { chooseOperatingPoint, type OperatingPointChoice } from './operating-point.js';
import type { PosteriorSettings } from './posteriors.js';

export type ModelKind = 'float' | 'int8';

export interface StoredOperatingPoint extends OperatingPointChoice {
  /** The weights (float: the checkpoint's weights.bin; int8: quantized-network.json) it was chosen with. */
  modelSha256: string;
}

type OperatingPointFile = Partial<Record<ModelKind, StoredOperatingPoint>>;

/** Gaps between the clips of the tuning stream, and its longest duration. */
const TUNING_GAP_S = 2;
const MAX_TUNING_SECONDS = 1200;

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** What the stored point must have been chosen with for `kind` to use it now. */
function currentModelSha256(dir: RunDir, kind: ModelKind, checkpoint: 'best' | 'last'): string {
  return kind === 'int8' ? sha256(dir.quantizedNetwork) : checkpointIdentity(dir, checkpoint).weightsSha256;
}

function readFile(dir: RunDir): OperatingPointFile {
  try {
    return JSON.parse(fs.readFileSync(dir.operatingPoint, 'utf8')) as OperatingPointFile;
  } catch {
    return {};
  }
}

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
    };
    writeFileAtomic(dir.operatingPoint, `${JSON.stringify({ ...readFile(dir), [options.kind]: stored }, null, 2)}\n`);
    return stored;
  } finally {
    classifier.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export type LoadedOperatingPoint =
  { status: 'current'; point: StoredOperatingPoint } | { status: 'none' | 'stale'; reason: string };

/** The stored point for `kind`, if it was chosen with the model as it is now. */
export function loadRunOperatingPoint(
  trainDir: string,
  kind: ModelKind,
  checkpoint: 'best' | 'last' = 'best',
): LoadedOperatingPoint {
  const dir = new RunDir(trainDir);
  const point = readFile(dir)[kind];
  if (!point) return { status: 'none', reason: `no ${kind} operating point stored in ${dir.operatingPoint}` };
  try {
    if (point.modelSha256 === currentModelSha256(dir, kind, checkpoint)) return { status: 'current', point };
  } catch (error) {
    return { status: 'stale', reason: errorMessage(error) };
  }
  return {
    status: 'stale',
    reason: `the ${kind} operating point was chosen for another ${kind === 'int8' ? 'network' : 'checkpoint'}`,
  };
}

/** Typed flags over the stored point over the defaults, one setting at a time. */
export function resolveOperatingPoint(
  typed: Partial<PosteriorSettings>,
  stored: PosteriorSettings | undefined,
  defaults: PosteriorSettings,
): PosteriorSettings {
  const pick = <K extends keyof PosteriorSettings>(key: K) => typed[key] ?? stored?.[key] ?? defaults[key];
  return {
    hopMs: pick('hopMs'),
    averageWindowMs: pick('averageWindowMs'),
    threshold: pick('threshold'),
    suppressionMs: pick('suppressionMs'),
  };
}
