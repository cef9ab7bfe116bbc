/**
 * The trainer's counters saved with each checkpoint (`trainer-state.json`): what a resumed run
 * continues from, and what quantisation-aware training learned that `kws quantize` reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KwsError } from '../errors.js';
import { Q7_TARGET, type TargetName } from '../targets.js';
import { checkpointFiles } from './layout.js';

/** One quantisation point's tracked range: cmsis-nn-q7's largest |value|, or cmsis-nn-s8's smallest and largest value. */
export type QatRange = number | { min: number; max: number };

export interface TrainerState {
  step: number;
  bestValidationAccuracy: number | null;
  bestStep: number | null;
  /** Quantisation-aware training's tracked range per quantisation point, once it has started (train/qat.ts). */
  qatRanges?: QatRange[];
  /** The target those ranges are for; absent: cmsis-nn-q7 (checkpoints from before the s8 target had QAT). */
  qatTarget?: TargetName;
}

/** The target a checkpoint's learned ranges are for (checkpoints from before s8 had QAT: cmsis-nn-q7). */
export function rangesTargetOf(state: TrainerState): TargetName {
  return state.qatTarget ?? Q7_TARGET;
}

export function hasTrainerState(checkpointDir: string): boolean {
  return fs.existsSync(checkpointFiles(checkpointDir).state);
}

export function readTrainerState(checkpointDir: string): TrainerState {
  const file = checkpointFiles(checkpointDir).state;
  if (!fs.existsSync(file))
    throw new KwsError(`${checkpointDir} is not a kws training checkpoint (no ${path.basename(file)})`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TrainerState;
}
