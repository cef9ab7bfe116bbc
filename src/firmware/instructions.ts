/**
 * SysTick ticks measured under QEMU's `-icount shift=N` as instruction counts. With icount every
 * instruction advances the virtual clock by 2^N ns and SysTick ticks every 1e9 / clock_hz ns, so
 *   instructions = ticks × (1e9 / clock_hz) / 2^N,
 * to within one tick. QEMU models no pipeline, cache or wait state: this counts instructions,
 * not cycles.
 */
import { KwsError } from '../errors.js';

/** QEMU accepts -icount shift=0..10. */
export const MAX_ICOUNT_SHIFT = 10;

/** Throws unless QEMU accepts `shift`. */
export function checkIcountShift(shift: number): void {
  if (!Number.isInteger(shift) || shift < 0 || shift > MAX_ICOUNT_SHIFT) {
    throw new KwsError(`icount shift ${shift}: expected a whole number from 0 to ${MAX_ICOUNT_SHIFT}`);
  }
}

export interface InstructionCount {
  instructions: number;
  /** One SysTick tick in instructions: the count is exact to within this (plus rounding). */
  resolution: number;
  icountShift: number;
  /** Always 'instructions': QEMU counts executed instructions, not processor cycles. */
  unit: 'instructions';
}

export function ticksToInstructions(
  ticks: number | bigint,
  timerClockHz: number,
  icountShift: number,
): InstructionCount {
  const tickCount = Number(ticks);
  if (!Number.isFinite(tickCount) || tickCount < 0) throw new KwsError(`tick count ${ticks}: expected 0 or more`);
  checkIcountShift(icountShift);
  if (!(timerClockHz > 0)) throw new KwsError(`timer clock ${timerClockHz} Hz: expected a positive frequency`);
  const resolution = 1e9 / timerClockHz / 2 ** icountShift;
  return { instructions: Math.round(tickCount * resolution), resolution, icountShift, unit: 'instructions' };
}

/** The smallest shift at which one tick is at most one instruction (6 at 25 MHz, 5 at 32 MHz). */
export function exactIcountShift(timerClockHz: number): number {
  return Math.min(MAX_ICOUNT_SHIFT, Math.max(0, Math.ceil(Math.log2(1e9 / timerClockHz))));
}

/** `6,896,080 instructions (QEMU -icount shift=0, ±40; an instruction count, not cycles)` */
export function describeInstructionCount(count: InstructionCount): string {
  const within = count.resolution >= 1 ? `±${Math.ceil(count.resolution)}` : '±1';
  return `${count.instructions.toLocaleString('en-US')} instructions (QEMU -icount shift=${count.icountShift}, ${within}; an instruction count, not cycles)`;
}
