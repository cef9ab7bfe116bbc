/** Builds a written firmware project with its own Makefile, so a hand-run `make` gives the same ELF. */
import os from 'node:os';
import { KwsError } from '../errors.js';
import { runProcess } from './process.js';
import type { FirmwareProject } from './project.js';
import { requireTools, toolsFor } from './tools.js';

export interface BuildOptions {
  env?: NodeJS.ProcessEnv;
  /** make -j; default the number of CPUs. */
  jobs?: number;
  timeoutMs?: number;
}

export interface BuildResult {
  elfPath: string;
  /** make's output (the commands it ran and any warnings). */
  log: string;
}

const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60 * 1000;

/** Compiler diagnostics first, then the linker's (the overflow size says most), then anything that says error. */
const ERROR_PATTERNS = [
  /^\S+:\d+(:\d+)?: (fatal )?error: /,
  /undefined reference to|multiple definition of/,
  /overflowed by/,
  /RAM overflow|will not fit in region/,
  /No such file or directory|cannot find/,
  /error/i,
];

/** The line of a failed build's output that says what went wrong. */
export function firstErrorLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim().replace(/^\S*\/(ld|as|collect2): /, '$1: '))
    .filter((line) => line !== '');
  // collect2's and make's own summaries only repeat that something failed.
  const diagnostics = lines.filter((line) => !line.startsWith('collect2:') && !line.startsWith('make'));
  for (const pattern of ERROR_PATTERNS) {
    const line = diagnostics.find((candidate) => pattern.test(candidate));
    if (line !== undefined) return line;
  }
  return diagnostics[0] ?? lines[0] ?? 'no output';
}

export async function buildFirmware(project: FirmwareProject, options: BuildOptions = {}): Promise<BuildResult> {
  const env = options.env ?? process.env;
  requireTools(toolsFor(project.board, ['build']), env);
  const jobs = options.jobs ?? os.availableParallelism();
  const timeoutMs = options.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
  const result = await runProcess('make', ['-C', project.dir, `-j${jobs}`, 'all'], { env, timeoutMs });
  const log = `${result.stdout.toString()}${result.stderr.toString()}`;
  if (result.timedOut) throw new KwsError(`firmware build in ${project.dir} took longer than ${timeoutMs / 1000} s`);
  if (result.exitCode !== 0) {
    throw new KwsError(`firmware build for ${project.board.name} failed: ${firstErrorLine(result.stderr.toString())}`);
  }
  return { elfPath: project.elfPath, log };
}
