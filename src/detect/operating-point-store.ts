/**
 * A run's stored detector operating points (operating-point.json): what each was chosen for, and
 * whether it still applies. Reading them needs no TensorFlow.js, so the CLI loads this eagerly.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from '../atomic.js';
import { errorMessage } from '../errors.js';
import { RunDir } from '../run/layout.js';
import { checkpointIdentity } from '../run/provenance.js';
import type { OperatingPointChoice } from './operating-point.js';
import type { PosteriorSettings } from './posteriors.js';

export type ModelKind = 'float' | 'int8';

export interface StoredOperatingPoint extends OperatingPointChoice {
  /** The weights (float: the checkpoint's weights.bin; int8: quantized-network.json) it was chosen with. */
  modelSha256: string;
  /** int8 only: the scores it was chosen on. Points chosen on the q7 scores of older versions (absent) do not apply. */
  integerScores?: typeof INTEGER_SCORES;
}

/** The integer networks' scores: kws_softmax's Q15 probabilities. */
export const INTEGER_SCORES = 'q15';

type OperatingPointFile = Partial<Record<ModelKind, StoredOperatingPoint>>;

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** What the stored point must have been chosen with for `kind` to use it now. */
export function currentModelSha256(dir: RunDir, kind: ModelKind, checkpoint: 'best' | 'last'): string {
  return kind === 'int8' ? sha256(dir.quantizedNetwork) : checkpointIdentity(dir, checkpoint).weightsSha256;
}

function readFile(dir: RunDir): OperatingPointFile {
  try {
    return JSON.parse(fs.readFileSync(dir.operatingPoint, 'utf8')) as OperatingPointFile;
  } catch {
    return {};
  }
}

/** Stores `point` as the run's point for `kind`, keeping the other kind's. */
export function storeRunOperatingPoint(dir: RunDir, kind: ModelKind, point: StoredOperatingPoint): void {
  writeFileAtomic(dir.operatingPoint, `${JSON.stringify({ ...readFile(dir), [kind]: point }, null, 2)}\n`);
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
  if (kind === 'int8' && point.integerScores !== INTEGER_SCORES) {
    return {
      status: 'stale',
      reason: 'the int8 operating point was chosen on the q7 scores of an older kws; kws quantize chooses it again',
    };
  }
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
