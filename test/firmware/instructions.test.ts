/** SysTick ticks under -icount as instruction counts. */
import { describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { describeInstructionCount, exactIcountShift, ticksToInstructions } from '../../src/firmware/instructions.js';

describe('ticksToInstructions', () => {
  it("gives the deployment notes' DS-CNN-S figure at shift 0 and 1 (mps2-an386, 25 MHz)", () => {
    expect(ticksToInstructions(172_402, 25e6, 0)).toEqual({
      instructions: 6_896_080,
      resolution: 40,
      icountShift: 0,
      unit: 'instructions',
    });
    expect(ticksToInstructions(344_804n, 25e6, 1).instructions).toBe(6_896_080);
  });

  it('resolves to below one instruction from the exact shift on', () => {
    expect(exactIcountShift(25e6)).toBe(6);
    expect(exactIcountShift(32e6)).toBe(5);
    expect(exactIcountShift(1e9)).toBe(0);
    expect(ticksToInstructions(3200, 25e6, 6)).toMatchObject({ instructions: 2000, resolution: 0.625 });
    expect(ticksToInstructions(3200, 32e6, 5)).toMatchObject({ instructions: 3125, resolution: 0.9765625 });
  });

  it('says it counts instructions, not cycles', () => {
    expect(describeInstructionCount(ticksToInstructions(172_402, 25e6, 0))).toBe(
      '6,896,080 instructions (QEMU -icount shift=0, ±40; an instruction count, not cycles)',
    );
    expect(describeInstructionCount(ticksToInstructions(3200, 25e6, 6))).toContain('±1;');
  });

  it('rejects impossible inputs', () => {
    expect(() => ticksToInstructions(-1, 25e6, 0)).toThrow(KwsError);
    expect(() => ticksToInstructions(1, 25e6, 11)).toThrow('icount shift 11: expected a whole number from 0 to 10');
    expect(() => ticksToInstructions(1, 25e6, 1.5)).toThrow(KwsError);
    expect(() => ticksToInstructions(1, 0, 0)).toThrow(KwsError);
  });
});
