/**
 * A probe firmware (probe-main.c) built through the project writer's Makefile and run on every
 * board: it reads stdin through semihosting, prints integer, 64-bit and float results, and times
 * a loop of known length. Under -icount the timer must give the loop's instruction count,
 * identical from run to run and exactly linear in the loop length.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOARDS, type BoardName, type QemuBoard } from '../../src/firmware/boards.js';
import { buildFirmware } from '../../src/firmware/build.js';
import { exactIcountShift, ticksToInstructions } from '../../src/firmware/instructions.js';
import { writeFirmwareProject } from '../../src/firmware/project.js';
import { runFirmware } from '../../src/firmware/run.js';
import { measureSizes } from '../../src/firmware/sizes.js';
import { FAULT_EXIT_STATUS } from '../../src/firmware/startup-source.js';
import { PROBE_MAIN, assertToolsFor, skipCross, skipHost, temporaryDirectory } from './toolchain.js';

const workDir = temporaryDirectory('kws-firmware-');

/** 1000 bytes covering every value, including 0x00, 0x1a (^Z), 0x0d and 0x0a. */
const INPUT = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) % 256);

function expectedStatistics(input: Uint8Array): string[] {
  let sum = 0;
  let hash = 2166136261;
  let squares = 0;
  for (const byte of input) {
    sum += byte;
    hash = Math.imul(hash ^ byte, 16777619) >>> 0;
    squares += (byte - 127.5) ** 2;
  }
  return [
    `bytes ${input.length} sum ${sum} fnv1a ${hash.toString(16).padStart(8, '0')}`,
    `product/7 ${(BigInt(sum) * BigInt(hash)) / 7n}`,
    `rms ${Math.sqrt(squares / input.length).toFixed(3)}`,
  ];
}

/** `spin L ticks T` lines as a map from L to T. */
function spinTicks(stdout: string): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const match of stdout.matchAll(/^spin (\d+) ticks (\d+)$/gm)) ticks.set(Number(match[1]), Number(match[2]));
  return ticks;
}

async function buildProbe(boardName: BoardName): Promise<string> {
  const project = writeFirmwareProject({
    board: BOARDS[boardName],
    outDir: path.join(workDir(), boardName),
    mainSource: PROBE_MAIN,
  });
  return (await buildFirmware(project)).elfPath;
}

describe.skipIf(skipHost)('host board', () => {
  let elf: string;
  beforeAll(async () => {
    assertToolsFor('host');
    elf = await buildProbe('host');
  });

  it('reads stdin, computes and times like the QEMU boards', async () => {
    const result = await runFirmware(BOARDS.host, elf, { input: INPUT, timeoutMs: 20_000 });
    const lines = result.stdout.toString().split('\n');
    expect(lines.slice(0, 3)).toEqual(expectedStatistics(INPUT));
    expect(result.exitCode).toBe(INPUT.length % 7);
    expect(result.faulted).toBe(false);
    const ticks = spinTicks(result.stdout.toString());
    expect([...ticks.keys()]).toEqual([1000, 2000, 4000, 12_000_000]);
    expect(ticks.get(12_000_000)).toBeGreaterThan(ticks.get(1000) ?? Infinity);
  });

  it('measures sizes with binutils', async () => {
    const sizes = await measureSizes(BOARDS.host, elf, { probe: /^main$|^spin$/ });
    expect(sizes.text).toBeGreaterThan(0);
    expect(sizes.flash).toBe(sizes.text + sizes.data);
    expect(sizes.groups.probe?.symbols.map((symbol) => symbol.name)).toContain('main');
  });
});

const QEMU_BOARDS = ['qemu-m3', 'qemu-m4', 'qemu-m7', 'qemu-m55'] as const;

describe.skipIf(skipCross).each(QEMU_BOARDS)('%s', (boardName) => {
  const board = BOARDS[boardName] as QemuBoard;
  const shift = exactIcountShift(board.timerClockHz);
  let elf: string;
  beforeAll(async () => {
    assertToolsFor(boardName);
    elf = await buildProbe(boardName);
  });

  it('reads binary stdin through semihosting, computes, prints and returns main’s value', async () => {
    const result = await runFirmware(board, elf, { input: INPUT, timeoutMs: 30_000 });
    expect(result.stderr.toString()).toBe('');
    expect(result.stdout.toString().split('\n').slice(0, 3)).toEqual(expectedStatistics(INPUT));
    expect(result.exitCode).toBe(INPUT.length % 7);
    expect(result.faulted).toBe(false);
  });

  it(`counts the loop's instructions under -icount shift=${shift}, the same in every run`, async () => {
    const runs = await Promise.all(
      [0, 1].map(() => runFirmware(board, elf, { input: INPUT, icountShift: shift, timeoutMs: 30_000 })),
    );
    const [first, second] = runs.map((run) => spinTicks(run.stdout.toString()));
    expect(first?.size).toBe(4);
    expect(second).toEqual(first);
    const instructions = (length: number): number =>
      ticksToInstructions(first?.get(length) ?? NaN, board.timerClockHz, shift).instructions;
    // Two instructions per iteration; each reading is exact to within one tick (< 1 instruction).
    expect(Math.abs(instructions(2000) - instructions(1000) - 2000)).toBeLessThanOrEqual(1);
    expect(Math.abs(instructions(4000) - instructions(2000) - 4000)).toBeLessThanOrEqual(1);
    // 24 million instructions: SysTick wraps around at least twice; the interrupt adds a few instructions each time.
    expect(instructions(12_000_000) - instructions(1000)).toBeGreaterThanOrEqual(2 * (12_000_000 - 1000) - 1);
    expect(instructions(12_000_000) - instructions(1000)).toBeLessThan(2 * (12_000_000 - 1000) + 100);
  });

  it('reports flash and RAM', async () => {
    const sizes = await measureSizes(board, elf, {
      probe: /^main$/,
      timing: /^kws_timer|^systick_wraps$|^start_ticks$/,
    });
    expect(sizes.flash).toBe(sizes.text + sizes.data);
    expect(sizes.ram).toBe(sizes.data + sizes.bss);
    expect(sizes.groups.probe?.symbols.map((symbol) => symbol.name)).toEqual(['main']);
    expect(sizes.groups.probe?.flash).toBeGreaterThan(0);
    expect(sizes.groups.timing?.ram).toBe(12); // start_ticks (8) + systick_wraps (4)
    expect(sizes.other.flash).toBeGreaterThan(10_000); // newlib's stdio
  });
});

describe.skipIf(skipCross)('qemu-m4 faults, time limits, build errors and the Makefile by hand', () => {
  const board = BOARDS['qemu-m4'];
  beforeAll(() => assertToolsFor('qemu-m4'));

  it('reports a fault by name and exits with the fault status', async () => {
    const project = writeFirmwareProject({
      board,
      outDir: path.join(workDir(), 'fault'),
      mainSource: '#include <stdio.h>\nint main(void) { puts("before"); __asm volatile("udf #0"); return 0; }\n',
    });
    const { elfPath } = await buildFirmware(project);
    const result = await runFirmware(board, elfPath, { timeoutMs: 20_000 });
    expect(result.stdout.toString()).toBe('before\n');
    expect(result.stderr.toString()).toMatch(/^kws firmware: UsageFault \(exception 6\) at pc 0x[0-9a-f]{8}, /);
    expect(result.exitCode).toBe(FAULT_EXIT_STATUS);
    expect(result.faulted).toBe(true);
  });

  it('streams stdin from a file', async () => {
    const inputFile = path.join(workDir(), 'input.bin');
    fs.writeFileSync(inputFile, INPUT);
    const project = writeFirmwareProject({ board, outDir: path.join(workDir(), 'from-file'), mainSource: PROBE_MAIN });
    const { elfPath } = await buildFirmware(project);
    const result = await runFirmware(board, elfPath, { inputFile, timeoutMs: 20_000 });
    expect(result.stdout.toString().split('\n').slice(0, 3)).toEqual(expectedStatistics(INPUT));
    const missing = path.join(workDir(), 'missing.bin');
    await expect(runFirmware(board, elfPath, { inputFile: missing })).rejects.toThrow(
      `${missing}: cannot read (no such file)`,
    );
  });

  it('stops a firmware that never ends', async () => {
    const project = writeFirmwareProject({
      board,
      outDir: path.join(workDir(), 'hang'),
      mainSource: 'int main(void) { for (;;) { } }\n',
    });
    const { elfPath } = await buildFirmware(project);
    await expect(runFirmware(board, elfPath, { timeoutMs: 1000 })).rejects.toThrow(/did not finish within 1 s/);
  });

  it("names the compiler's first error", async () => {
    const project = writeFirmwareProject({
      board,
      outDir: path.join(workDir(), 'broken'),
      mainSource: 'int main(void)\n{\n    return undeclared_value;\n}\n',
    });
    await expect(buildFirmware(project)).rejects.toThrow(
      /^firmware build for qemu-m4 failed: main\.c:3:12: error: 'undeclared_value' undeclared/,
    );
  });

  it('gives the same ELF and output from a hand-typed make', async () => {
    const project = writeFirmwareProject({ board, outDir: path.join(workDir(), 'by-hand'), mainSource: PROBE_MAIN });
    const built = fs.readFileSync((await buildFirmware(project)).elfPath);
    const rebuild = spawnSync('make', ['-s', '-C', project.dir, 'clean', 'all'], { encoding: 'utf8' });
    expect(rebuild.status).toBe(0);
    expect(fs.readFileSync(project.elfPath).equals(built)).toBe(true);
    const run = spawnSync('make', ['-s', '-C', project.dir, 'run', 'ICOUNT=6'], { input: INPUT, encoding: 'utf8' });
    expect(run.stdout.split('\n').slice(0, 3)).toEqual(expectedStatistics(INPUT));
    expect(run.status).not.toBe(0); // make reports main's return value (1000 % 7) as a failure
  });
});
