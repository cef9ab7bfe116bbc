/** The project writer's files, checked as text (no compiler needed), and its input checks. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { BOARDS, type QemuBoard } from '../../src/firmware/boards.js';
import { firstErrorLine } from '../../src/firmware/build.js';
import { writeFirmwareProject, type FirmwareProjectOptions } from '../../src/firmware/project.js';
import { temporaryDirectory } from './toolchain.js';

const workDir = temporaryDirectory('kws-firmware-project-')();
const MAIN = 'int main(void) { return 0; }\n';

/** network.c inside the project, kernel.c outside it, an include directory outside. */
const outDir = path.join(workDir, 'out');
const kernels = path.join(workDir, 'kernels');
fs.mkdirSync(path.join(kernels, 'Include'), { recursive: true });
fs.mkdirSync(path.join(kernels, 'other'), { recursive: true });
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'network.c'), '');
fs.writeFileSync(path.join(kernels, 'kernel.c'), '');
fs.writeFileSync(path.join(kernels, 'main.c'), '');
fs.writeFileSync(path.join(kernels, 'other', 'kernel.c'), '');

function write(overrides: Partial<FirmwareProjectOptions> = {}) {
  return writeFirmwareProject({
    board: BOARDS['qemu-m4'],
    outDir,
    mainSource: MAIN,
    sources: [path.join(outDir, 'network.c'), path.join(kernels, 'kernel.c')],
    includeDirs: [path.join(kernels, 'Include')],
    defines: ['ARM_MATH_DSP', 'KWS_FRAMES=49'],
    cflags: ['-Wno-unused-function'],
    ...overrides,
  });
}

const read = (name: string): string => fs.readFileSync(path.join(outDir, name), 'utf8');

describe('writeFirmwareProject', () => {
  it('writes startup, linker script, timing and Makefile around the caller’s C', () => {
    const project = write();
    expect(project.files.sort()).toEqual([
      'Makefile',
      'kws_timing.c',
      'kws_timing.h',
      'link.ld',
      'main.c',
      'startup.c',
    ]);
    expect(project.elfPath).toBe(path.join(outDir, 'firmware.elf'));
    expect(read('main.c')).toBe(MAIN);
    const makefile = read('Makefile');
    expect(makefile).toContain('CPUFLAGS = -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16\n');
    expect(makefile).toContain(
      'CFLAGS = $(CPUFLAGS) -O2 -g -std=gnu11 -Wall -ffunction-sections -fdata-sections -Wno-unused-function\n',
    );
    expect(makefile).toContain(`-I${path.join(kernels, 'Include')} \\\n  -DARM_MATH_DSP \\\n  -DKWS_FRAMES=49\n`);
    // Inside the project: relative; outside: absolute.
    expect(makefile).toContain(
      `SOURCES = \\\n  main.c \\\n  startup.c \\\n  kws_timing.c \\\n  network.c \\\n  ${kernels}/kernel.c\n`,
    );
    expect(makefile).toContain('--specs=rdimon.specs -nostartfiles -T link.ld');
    expect(makefile).toContain(
      'QEMUFLAGS = -M mps2-an386 -display none -monitor none -serial null -semihosting-config enable=on,target=native\n',
    );
  });

  it('leaves unchanged files alone, so that make rebuilds only what changed', () => {
    write();
    const makefile = path.join(outDir, 'Makefile');
    const old = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(makefile, old, old);
    write();
    expect(fs.statSync(makefile).mtime).toEqual(old);
    write({ defines: ['ARM_MATH_DSP'] });
    expect(fs.statSync(makefile).mtime).not.toEqual(old);
  });

  it('lays out memory per board', () => {
    write();
    expect(read('link.ld')).toContain(
      '  CODE (rx)     : ORIGIN = 0x00000000, LENGTH = 4M   /* ZBT SSRAM1 */\n  RAM (rwx)     : ORIGIN = 0x20000000, LENGTH = 4M   /* ZBT SSRAM2/3 */\n',
    );
    expect(read('link.ld')).toMatch(/\.vectors :\n {2}\{\n {4}KEEP\(\*\(\.vectors\)\)\n {2}\} > CODE/);
    write({ board: BOARDS['qemu-m55'], stackAndHeap: { stackBytes: 0x2000, heapBytes: 0x1000 } });
    const m55 = read('link.ld');
    expect(m55).toContain('  VECTORS (rx)  : ORIGIN = 0x00000000, LENGTH = 512K /* ITCM */\n');
    expect(m55).toContain('  CODE (rx)     : ORIGIN = 0x01000000, LENGTH = 2M   /* SRAM */\n');
    expect(m55).toContain('  RAM (rwx)     : ORIGIN = 0x20000000, LENGTH = 512K /* DTCM */\n');
    expect(m55).toMatch(/KEEP\(\*\(\.vectors\)\)\n {2}\} > VECTORS/);
    expect(m55).toContain('STACK_SIZE = 0x00002000;');
    expect(m55).toContain('HEAP_SIZE = 0x00001000;');
    for (const symbol of ['__bss_start__', '__bss_end__', '__end__', 'end', '__StackTop']) {
      expect(m55).toMatch(new RegExp(`\\b${symbol} = `));
    }
  });

  it('opens the FPU only on boards that have one, and SysTick counts their clock', () => {
    const startup = (board: QemuBoard): string => (write({ board }), read('startup.c'));
    expect(startup(BOARDS['qemu-m3'] as QemuBoard)).not.toContain('CPACR');
    expect(startup(BOARDS['qemu-m4'] as QemuBoard)).toContain('SCB_CPACR |= CPACR_CP10_CP11_FULL_ACCESS;');
    expect(startup(BOARDS['qemu-m4'] as QemuBoard)).toContain('0,                     /*  7: reserved */');
    expect(startup(BOARDS['qemu-m55'] as QemuBoard)).toContain('Fault_Handler,         /*  7: SecureFault */');
    expect(read('kws_timing.h')).toContain('#define KWS_TIMER_CLOCK_HZ 32000000u');
    expect(read('kws_timing.c')).toContain('SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;');
  });

  it('writes no startup code or linker script for the host', () => {
    fs.rmSync(path.join(outDir, 'startup.c'));
    fs.rmSync(path.join(outDir, 'link.ld'));
    const project = write({ board: BOARDS.host });
    expect(project.files.sort()).toEqual(['Makefile', 'kws_timing.c', 'kws_timing.h', 'main.c']);
    expect(project.elfPath).toBe(path.join(outDir, 'firmware'));
    expect(fs.existsSync(path.join(outDir, 'startup.c'))).toBe(false);
    expect(read('kws_timing.h')).toContain('#define KWS_TIMER_CLOCK_HZ 1000000000u');
    expect(read('kws_timing.c')).toContain('clock_gettime(CLOCK_MONOTONIC, &now);');
    expect(read('Makefile')).toContain('run: firmware\n\t./firmware\n');
  });

  it('rejects sources, directories and flags the Makefile cannot take', () => {
    const rejects = (overrides: Partial<FirmwareProjectOptions>, message: string): void => {
      expect(() => write(overrides)).toThrow(KwsError);
      expect(() => write(overrides)).toThrow(message);
    };
    rejects({ sources: [path.join(kernels, 'main.c')] }, 'the project writes its own main.c');
    rejects(
      {
        sources: [path.join(kernels, 'kernel.c'), path.join(outDir, 'network.c'), path.join(kernels, 'other/kernel.c')],
      },
      `sources ${kernels}/kernel.c and ${kernels}/other/kernel.c are both named kernel.c`,
    );
    rejects({ sources: [path.join(kernels, 'missing.c')] }, 'does not exist');
    rejects({ sources: [path.join(kernels, 'Include')] }, 'expected a .c file');
    rejects({ includeDirs: [path.join(kernels, 'nowhere')] }, 'does not exist');
    rejects({ defines: ['1BAD'] }, "define '1BAD': expected NAME or NAME=VALUE");
    rejects({ outDir: path.join(workDir, 'with space') }, 'make cannot use a path with spaces');
    rejects({ cflags: ['-O3\nall:'] }, 'no line breaks');
  });
});

describe('firstErrorLine', () => {
  it('picks the compiler diagnostic over make’s and collect2’s summaries', () => {
    expect(
      firstErrorLine(`main.c: In function 'main':
main.c:3:12: error: 'undeclared_value' undeclared (first use in this function)
    3 |     return undeclared_value;
make: *** [Makefile:38: build/main.o] Error 1
`),
    ).toBe("main.c:3:12: error: 'undeclared_value' undeclared (first use in this function)");
  });

  it('picks the linker’s reason, without the linker’s path', () => {
    const ld = '/usr/lib/gcc/arm-none-eabi/12.2.1/../../../arm-none-eabi/bin/ld';
    expect(
      firstErrorLine(`${ld}: build/main.o: in function \`main':
/tmp/p/main.c:2: undefined reference to \`f'
collect2: error: ld returned 1 exit status
`),
    ).toBe("/tmp/p/main.c:2: undefined reference to `f'");
    expect(
      firstErrorLine(`${ld}: firmware.elf section \`.bss' will not fit in region \`RAM'
${ld}: RAM overflow: .data + .bss + HEAP_SIZE + STACK_SIZE exceed RAM
${ld}: region \`RAM' overflowed by 808064 bytes
collect2: error: ld returned 1 exit status
`),
    ).toBe("ld: region `RAM' overflowed by 808064 bytes");
  });

  it("falls back to make's own message", () => {
    expect(firstErrorLine("make: *** No rule to make target 'x.c', needed by 'build/x.o'.  Stop.\n")).toBe(
      "make: *** No rule to make target 'x.c', needed by 'build/x.o'.  Stop.",
    );
  });
});
