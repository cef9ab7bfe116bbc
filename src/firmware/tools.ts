/**
 * The external programs a firmware build, run and size report need, found on PATH. A missing
 * one is a KwsError naming the Debian packages that provide it, in one line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KwsError } from '../errors.js';
import type { Board } from './boards.js';

export const FIRMWARE_TOOLS = [
  'gcc',
  'make',
  'size',
  'nm',
  'arm-none-eabi-gcc',
  'arm-none-eabi-size',
  'arm-none-eabi-nm',
  'qemu-system-arm',
] as const;
export type FirmwareTool = (typeof FIRMWARE_TOOLS)[number];

/** Installed together: the compiler needs newlib to link and QEMU to run what it builds. */
const CROSS_PACKAGES = ['gcc-arm-none-eabi', 'libnewlib-arm-none-eabi', 'qemu-system-arm'];

const DEBIAN_PACKAGES: Readonly<Record<FirmwareTool, readonly string[]>> = {
  gcc: ['gcc'],
  make: ['make'],
  size: ['binutils'],
  nm: ['binutils'],
  'arm-none-eabi-gcc': CROSS_PACKAGES,
  'arm-none-eabi-size': CROSS_PACKAGES,
  'arm-none-eabi-nm': CROSS_PACKAGES,
  'qemu-system-arm': CROSS_PACKAGES,
};

export type FirmwareStep = 'build' | 'run' | 'sizes';

/** The tools `steps` need on `board`. */
export function toolsFor(board: Board, steps: readonly FirmwareStep[] = ['build', 'run', 'sizes']): FirmwareTool[] {
  const tools: FirmwareTool[] = [];
  if (steps.includes('build')) tools.push(board.compiler, 'make');
  if (steps.includes('run') && board.kind === 'qemu') tools.push('qemu-system-arm');
  if (steps.includes('sizes')) tools.push(board.sizeTool, board.nmTool);
  return tools;
}

/** The absolute path of `tool` on `env.PATH`, or undefined. */
export function findTool(tool: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export type ToolPaths = Record<FirmwareTool, string | undefined>;

/** Which of the firmware tools are present, and where. */
export function detectTools(env: NodeJS.ProcessEnv = process.env): ToolPaths {
  return Object.fromEntries(FIRMWARE_TOOLS.map((tool) => [tool, findTool(tool, env)])) as ToolPaths;
}

/** arm-none-eabi-gcc without libnewlib-arm-none-eabi cannot link: it finds no rdimon.specs. */
function newlibInstalled(env: NodeJS.ProcessEnv): boolean {
  const result = spawnSync('arm-none-eabi-gcc', ['-print-file-name=rdimon.specs'], { env, encoding: 'utf8' });
  return result.status === 0 && path.isAbsolute(result.stdout.trim());
}

/** The one-line message for missing tools (and newlib), or undefined when nothing is missing. */
export function missingToolsMessage(missing: readonly FirmwareTool[], newlibMissing = false): string | undefined {
  const what = [...missing, ...(newlibMissing ? ['newlib for arm-none-eabi (rdimon.specs)'] : [])];
  if (what.length === 0) return undefined;
  const packages = new Set(missing.flatMap((tool) => DEBIAN_PACKAGES[tool]));
  if (newlibMissing) CROSS_PACKAGES.forEach((name) => packages.add(name));
  return `missing ${what.join(', ')}: install with 'apt-get install ${[...packages].join(' ')}'`;
}

/** Throws a KwsError naming the Debian packages to install when any of `tools` is not on PATH. */
export function requireTools(tools: readonly FirmwareTool[], env: NodeJS.ProcessEnv = process.env): void {
  const wanted = [...new Set(tools)];
  const missing = wanted.filter((tool) => findTool(tool, env) === undefined);
  const newlibMissing =
    wanted.includes('arm-none-eabi-gcc') && !missing.includes('arm-none-eabi-gcc') && !newlibInstalled(env);
  const message = missingToolsMessage(missing, newlibMissing);
  if (message !== undefined) throw new KwsError(message);
}
