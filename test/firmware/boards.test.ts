/** The board table: QEMU machines, flags, memory maps and clocks, and the flags the cross compiler accepts. */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOARDS, BOARD_NAMES, type QemuBoard, boardByName } from '../../src/firmware/boards.js';
import { UsageError } from '../../src/errors.js';
import { assertToolsFor, skipCross } from './toolchain.js';

const qemuBoards = BOARD_NAMES.map((name) => BOARDS[name]).filter((board): board is QemuBoard => board.kind === 'qemu');

describe('board table', () => {
  it('names every board, and rejects others with the list', () => {
    for (const name of BOARD_NAMES) expect(boardByName(name).name).toBe(name);
    expect(() => boardByName('qemu-m33')).toThrow(UsageError);
    expect(() => boardByName('qemu-m33')).toThrow(
      '--board qemu-m33: expected one of host, qemu-m3, qemu-m4, qemu-m7, qemu-m55',
    );
  });

  it('maps each QEMU board to its machine, core and clock', () => {
    const summary = qemuBoards.map((board) => [board.name, board.machine, board.cpu, board.timerClockHz]);
    expect(summary).toEqual([
      ['qemu-m3', 'mps2-an385', 'cortex-m3', 25_000_000],
      ['qemu-m4', 'mps2-an386', 'cortex-m4', 25_000_000],
      ['qemu-m7', 'mps2-an500', 'cortex-m7', 25_000_000],
      ['qemu-m55', 'mps3-an547', 'cortex-m55', 32_000_000],
    ]);
    expect(BOARDS.host.timerClockHz).toBe(1e9);
  });

  it('builds hard float exactly where the FPU is enabled at reset', () => {
    for (const board of qemuBoards) {
      expect(board.cpuFlags).toContain(`-mcpu=${board.cpu}`);
      expect(board.cpuFlags).toContain('-mthumb');
      expect(board.cpuFlags.includes('-mfloat-abi=hard')).toBe(board.enableFpu);
    }
    expect(BOARDS['qemu-m3'].kind === 'qemu' && BOARDS['qemu-m3'].enableFpu).toBe(false);
  });

  it('has non-overlapping regions inside the 32-bit space, the vector table at 0', () => {
    for (const { memory } of qemuBoards) {
      const regions = [memory.vectors, memory.code, memory.ram].flatMap((region) => (region ? [region] : []));
      expect((memory.vectors ?? memory.code).origin).toBe(0);
      for (const region of regions) expect(region.origin + region.length).toBeLessThanOrEqual(2 ** 32);
      const sorted = [...regions].sort((a, b) => a.origin - b.origin);
      for (let i = 1; i < sorted.length; i++) {
        expect(sorted[i]!.origin).toBeGreaterThanOrEqual(sorted[i - 1]!.origin + sorted[i - 1]!.length);
      }
    }
    const m55 = BOARDS['qemu-m55'] as QemuBoard;
    expect(m55.memory).toEqual({
      vectors: { name: 'ITCM', origin: 0, length: 512 * 1024 },
      code: { name: 'SRAM', origin: 0x0100_0000, length: 2 * 1024 * 1024 },
      ram: { name: 'DTCM', origin: 0x2000_0000, length: 512 * 1024 },
    });
  });
});

describe.skipIf(skipCross)('arm-none-eabi-gcc with each board’s flags', () => {
  beforeAll(() => assertToolsFor('qemu-m4'));

  function predefined(board: QemuBoard): Set<string> {
    const result = spawnSync(board.compiler, [...board.cpuFlags, '-dM', '-E', '-'], { input: '', encoding: 'utf8' });
    expect(result.status).toBe(0);
    return new Set(result.stdout.split('\n').map((line) => line.split(' ')[1] ?? ''));
  }

  it('gets DSP on M4/M7/M55, hard-float calls where there is an FPU, MVE on M55 only', () => {
    for (const board of qemuBoards) {
      const macros = predefined(board);
      expect([board.name, macros.has('__ARM_FEATURE_DSP')]).toEqual([board.name, board.name !== 'qemu-m3']);
      expect([board.name, macros.has('__ARM_PCS_VFP')]).toEqual([board.name, board.enableFpu]);
      expect([board.name, macros.has('__ARM_FEATURE_MVE')]).toEqual([board.name, board.name === 'qemu-m55']);
    }
  });
});
