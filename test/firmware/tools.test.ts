/** Tool detection and the one-line install message, with PATHs built for the test. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { BOARDS } from '../../src/firmware/boards.js';
import { buildFirmware } from '../../src/firmware/build.js';
import { writeFirmwareProject } from '../../src/firmware/project.js';
import { runFirmware } from '../../src/firmware/run.js';
import { measureSizes } from '../../src/firmware/sizes.js';
import { detectTools, findTool, missingToolsMessage, requireTools, toolsFor } from '../../src/firmware/tools.js';
import { temporaryDirectory } from './toolchain.js';

const workDir = temporaryDirectory('kws-firmware-tools-')();
const CROSS_INSTALL = "install with 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm'";

/** A directory holding executable scripts with these names and bodies. */
function fakeBin(name: string, scripts: Record<string, string>): string {
  const dir = path.join(workDir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [tool, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

const emptyPath = { PATH: fakeBin('empty', {}) };

describe('tool detection', () => {
  it('lists what each step needs on each board', () => {
    expect(toolsFor(BOARDS['qemu-m4'])).toEqual([
      'arm-none-eabi-gcc',
      'make',
      'qemu-system-arm',
      'arm-none-eabi-size',
      'arm-none-eabi-nm',
    ]);
    expect(toolsFor(BOARDS.host)).toEqual(['gcc', 'make', 'size', 'nm']);
    expect(toolsFor(BOARDS.host, ['run'])).toEqual([]);
  });

  it('finds executables on PATH only', () => {
    const dir = fakeBin('some', { 'qemu-system-arm': 'exit 0' });
    fs.writeFileSync(path.join(dir, 'make'), 'not executable', { mode: 0o644 });
    const env = { PATH: [emptyPath.PATH, dir].join(path.delimiter) };
    expect(findTool('qemu-system-arm', env)).toBe(path.join(dir, 'qemu-system-arm'));
    expect(findTool('make', env)).toBeUndefined();
    expect(detectTools(env)).toMatchObject({ 'qemu-system-arm': path.join(dir, 'qemu-system-arm'), make: undefined });
    expect(Object.values(detectTools(emptyPath)).every((found) => found === undefined)).toBe(true);
  });

  it('names the Debian packages in one line', () => {
    expect(() => requireTools(toolsFor(BOARDS['qemu-m55']), emptyPath)).toThrow(
      new KwsError(
        'missing arm-none-eabi-gcc, make, qemu-system-arm, arm-none-eabi-size, arm-none-eabi-nm: ' +
          "install with 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make'",
      ),
    );
    const makeOnly = { PATH: fakeBin('make-only', { make: 'exit 0' }) };
    expect(() => requireTools(toolsFor(BOARDS['qemu-m4']), makeOnly)).toThrow(
      `missing arm-none-eabi-gcc, qemu-system-arm, arm-none-eabi-size, arm-none-eabi-nm: ${CROSS_INSTALL}`,
    );
    expect(missingToolsMessage(['gcc', 'size', 'nm', 'make'])).toBe(
      "missing gcc, size, nm, make: install with 'apt-get install gcc binutils make'",
    );
    expect(missingToolsMessage([])).toBeUndefined();
  });

  it('notices a cross compiler without newlib', () => {
    const dir = fakeBin('no-newlib', {
      'arm-none-eabi-gcc': 'echo rdimon.specs',
      make: 'exit 0',
    });
    expect(() => requireTools(['arm-none-eabi-gcc', 'make'], { PATH: dir })).toThrow(
      `missing newlib for arm-none-eabi (rdimon.specs): ${CROSS_INSTALL}`,
    );
  });

  it('stops build, run and size report before spawning anything', async () => {
    const project = writeFirmwareProject({
      board: BOARDS['qemu-m4'],
      outDir: path.join(workDir, 'project'),
      mainSource: 'int main(void) { return 0; }\n',
    });
    await expect(buildFirmware(project, { env: emptyPath })).rejects.toThrow(
      "missing arm-none-eabi-gcc, make: install with 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make'",
    );
    await expect(runFirmware(BOARDS['qemu-m4'], project.elfPath, { env: emptyPath })).rejects.toThrow(
      `missing qemu-system-arm: ${CROSS_INSTALL}`,
    );
    await expect(measureSizes(BOARDS['qemu-m4'], project.elfPath, {}, emptyPath)).rejects.toThrow(
      `missing arm-none-eabi-size, arm-none-eabi-nm: ${CROSS_INSTALL}`,
    );
    await expect(buildFirmware({ ...project, board: BOARDS.host }, { env: emptyPath })).rejects.toThrow(
      "missing gcc, make: install with 'apt-get install gcc make'",
    );
  });
});
