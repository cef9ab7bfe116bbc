/**
 * The boards `kws firmware` builds for: the host (the machine's gcc, for quick functional runs)
 * and four Cortex-M boards that QEMU emulates. Each entry holds what the generated startup code,
 * linker script, timing code and Makefile need: compiler and flags, QEMU machine, memory map,
 * and the clock SysTick counts.
 *
 * Memory maps and clocks are QEMU's (hw/arm/mps2.c, hw/arm/mps2-tz.c), checked on QEMU 7.2: a
 * two-instruction loop of 10^6 iterations reads 50,000 SysTick ticks at `-icount shift=0` on the
 * three mps2 machines (25 MHz) and 64,000 on mps3-an547 (32 MHz).
 */
import { UsageError } from '../errors.js';

export const BOARD_NAMES = ['host', 'qemu-m3', 'qemu-m4', 'qemu-m7', 'qemu-m55'] as const;
export type BoardName = (typeof BOARD_NAMES)[number];

export interface MemoryRegion {
  /** The board's name for it (AN385's "ZBT SSRAM1", AN547's "ITCM"), for comments. */
  name: string;
  origin: number;
  length: number;
}

export interface HostBoard {
  kind: 'host';
  name: 'host';
  description: string;
  compiler: 'gcc';
  sizeTool: 'size';
  nmTool: 'nm';
  cpuFlags: readonly string[];
  /** kws_timing.c reads CLOCK_MONOTONIC: one tick is a nanosecond. */
  timerClockHz: number;
}

export interface QemuBoard {
  kind: 'qemu';
  name: Exclude<BoardName, 'host'>;
  description: string;
  /** `qemu-system-arm -M` value. */
  machine: string;
  cpu: string;
  compiler: 'arm-none-eabi-gcc';
  sizeTool: 'arm-none-eabi-size';
  nmTool: 'arm-none-eabi-nm';
  cpuFlags: readonly string[];
  /** The FPU (and MVE) is off at reset: CP10/CP11 must be opened before the first float instruction. */
  enableFpu: boolean;
  /** SecureFault (exception 7) exists: ARMv8-M Mainline. */
  hasSecureFault: boolean;
  memory: {
    /** Where the vector table must sit when the code region does not start at VTOR's reset value (0). */
    vectors?: MemoryRegion;
    /** Code and read-only data (weights); `.data`'s initial values count here too. */
    code: MemoryRegion;
    /** `.data`, `.bss`, heap and stack. */
    ram: MemoryRegion;
  };
  /** The processor clock, which SysTick counts (CLKSOURCE = 1). */
  timerClockHz: number;
}

export type Board = HostBoard | QemuBoard;

const KB = 1024;
const MB = 1024 * KB;

/** AN385, AN386 and AN500 share this map (QEMU mps2.c). */
const MPS2_CODE: MemoryRegion = { name: 'ZBT SSRAM1', origin: 0x0000_0000, length: 4 * MB };
const MPS2_RAM: MemoryRegion = { name: 'ZBT SSRAM2/3', origin: 0x2000_0000, length: 4 * MB };
const MPS2_CLOCK_HZ = 25_000_000;

export const BOARDS: Readonly<Record<BoardName, Board>> = {
  host: {
    kind: 'host',
    name: 'host',
    description: "this machine's gcc",
    compiler: 'gcc',
    sizeTool: 'size',
    nmTool: 'nm',
    cpuFlags: [],
    timerClockHz: 1_000_000_000,
  },
  'qemu-m3': {
    kind: 'qemu',
    name: 'qemu-m3',
    description: 'QEMU mps2-an385, Cortex-M3, soft float',
    machine: 'mps2-an385',
    cpu: 'cortex-m3',
    compiler: 'arm-none-eabi-gcc',
    sizeTool: 'arm-none-eabi-size',
    nmTool: 'arm-none-eabi-nm',
    cpuFlags: ['-mcpu=cortex-m3', '-mthumb', '-mfloat-abi=soft'],
    enableFpu: false,
    hasSecureFault: false,
    memory: { code: MPS2_CODE, ram: MPS2_RAM },
    timerClockHz: MPS2_CLOCK_HZ,
  },
  'qemu-m4': {
    kind: 'qemu',
    name: 'qemu-m4',
    description: 'QEMU mps2-an386, Cortex-M4 with DSP, hard float fpv4-sp-d16',
    machine: 'mps2-an386',
    cpu: 'cortex-m4',
    compiler: 'arm-none-eabi-gcc',
    sizeTool: 'arm-none-eabi-size',
    nmTool: 'arm-none-eabi-nm',
    cpuFlags: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'],
    enableFpu: true,
    hasSecureFault: false,
    memory: { code: MPS2_CODE, ram: MPS2_RAM },
    timerClockHz: MPS2_CLOCK_HZ,
  },
  'qemu-m7': {
    kind: 'qemu',
    name: 'qemu-m7',
    description: 'QEMU mps2-an500, Cortex-M7 with DSP, hard float fpv5-d16',
    machine: 'mps2-an500',
    cpu: 'cortex-m7',
    compiler: 'arm-none-eabi-gcc',
    sizeTool: 'arm-none-eabi-size',
    nmTool: 'arm-none-eabi-nm',
    cpuFlags: ['-mcpu=cortex-m7', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv5-d16'],
    enableFpu: true,
    hasSecureFault: false,
    memory: { code: MPS2_CODE, ram: MPS2_RAM },
    timerClockHz: MPS2_CLOCK_HZ,
  },
  'qemu-m55': {
    kind: 'qemu',
    name: 'qemu-m55',
    description: 'QEMU mps3-an547, Cortex-M55 with MVE (Helium), hard float',
    machine: 'mps3-an547',
    cpu: 'cortex-m55',
    compiler: 'arm-none-eabi-gcc',
    sizeTool: 'arm-none-eabi-size',
    nmTool: 'arm-none-eabi-nm',
    // gcc 12 derives the FPU and MVE (mve.fp) from -mcpu; newlib's v8-M.main+dp/hard multilib links.
    cpuFlags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'],
    enableFpu: true,
    hasSecureFault: true,
    memory: {
      // The core boots from the 512 KB ITCM at 0; code and weights go to the 2 MB SRAM so that
      // large models fit, data to the 512 KB DTCM (QEMU mps2-tz.c, an547_raminfo).
      vectors: { name: 'ITCM', origin: 0x0000_0000, length: 512 * KB },
      code: { name: 'SRAM', origin: 0x0100_0000, length: 2 * MB },
      ram: { name: 'DTCM', origin: 0x2000_0000, length: 512 * KB },
    },
    timerClockHz: 32_000_000,
  },
};

export function isBoardName(name: string): name is BoardName {
  return (BOARD_NAMES as readonly string[]).includes(name);
}

/** The board called `name` (a `--board` value). */
export function boardByName(name: string): Board {
  if (!isBoardName(name)) throw new UsageError(`--board ${name}: expected one of ${BOARD_NAMES.join(', ')}`);
  return BOARDS[name];
}
