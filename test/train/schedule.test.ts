import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { learningRateAt, makeSchedule } from '../../src/train/schedule.js';

describe('piecewise-constant schedule', () => {
  const schedule = makeSchedule([3, 2, 4], [0.5, 0.1, 0.02]);

  it('uses stage i up to and including its cumulative boundary (1-based steps, as train.py)', () => {
    expect(schedule.totalSteps).toBe(9);
    expect([1, 2, 3].map((s) => learningRateAt(schedule, s))).toEqual([0.5, 0.5, 0.5]);
    expect([4, 5].map((s) => learningRateAt(schedule, s))).toEqual([0.1, 0.1]);
    expect([6, 9].map((s) => learningRateAt(schedule, s))).toEqual([0.02, 0.02]);
  });

  it('rejects mismatched lengths, empty lists and non-positive entries with the flag names', () => {
    expect(() => makeSchedule([10, 10], [0.1])).toThrow(
      /--how-many-training-steps and --learning-rate need the same number of entries \(got 2 and 1\)/,
    );
    expect(() => makeSchedule([10, 10], [0.1])).toThrow(UsageError);
    expect(() => makeSchedule([], [])).toThrow(/at least one/);
    expect(() => makeSchedule([0], [0.1])).toThrow(/--how-many-training-steps/);
    expect(() => makeSchedule([1.5], [0.1])).toThrow(/whole numbers/);
    expect(() => makeSchedule([10], [0])).toThrow(/--learning-rate entries must be positive/);
  });
});
