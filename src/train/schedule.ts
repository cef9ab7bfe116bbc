import { UsageError } from '../errors.js';

/** ARM's piecewise-constant learning rate: `lr[i]` for steps up to the i-th cumulative boundary. */
export interface Schedule {
  steps: number[];
  learningRates: number[];
  totalSteps: number;
}

export function makeSchedule(steps: readonly number[], learningRates: readonly number[]): Schedule {
  if (steps.length !== learningRates.length) {
    throw new UsageError(
      `--how-many-training-steps and --learning-rate need the same number of entries (got ${steps.length} and ${learningRates.length})`,
    );
  }
  if (steps.length === 0) throw new UsageError('--how-many-training-steps needs at least one entry');
  for (const s of steps) {
    if (!Number.isInteger(s) || s < 1)
      throw new UsageError(`--how-many-training-steps entries must be whole numbers of at least 1 (got ${s})`);
  }
  for (const lr of learningRates) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--learning-rate entries must be positive (got ${lr})`);
  }
  return { steps: [...steps], learningRates: [...learningRates], totalSteps: steps.reduce((a, b) => a + b, 0) };
}

/** Learning rate at 1-based `step`, as train.py picks it (`step <= boundary` of the first stage that holds it). */
export function learningRateAt(schedule: Schedule, step: number): number {
  let boundary = 0;
  for (let i = 0; i < schedule.steps.length; i++) {
    boundary += schedule.steps[i]!;
    if (step <= boundary) return schedule.learningRates[i]!;
  }
  return schedule.learningRates[schedule.learningRates.length - 1]!;
}
