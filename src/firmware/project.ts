/**
 * Writes a firmware project for one board around C the caller supplies (network, front end,
 * kernels, main.c): startup.c and link.ld for the QEMU boards, kws_timing.h/.c, and a Makefile.
 * Sources inside the project directory are named relative to it, others by absolute path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { KwsError } from '../errors.js';
import type { Board } from './boards.js';
import { DEFAULT_STACK_AND_HEAP, renderLinkerScript, type StackAndHeap } from './linker-script.js';
import { renderMakefile } from './makefile.js';
import { renderStartupSource } from './startup-source.js';
import { renderTimingSources } from './timing-source.js';

export interface FirmwareProjectOptions {
  board: Board;
  outDir: string;
  /** main.c's text. It defines `int main(void)`; it may include "kws_timing.h". */
  mainSource: string;
  /** Further C files to compile and link (network, front end, CMSIS-NN kernels). */
  sources?: readonly string[];
  includeDirs?: readonly string[];
  /** Preprocessor definitions: `NAME` or `NAME=VALUE`. */
  defines?: readonly string[];
  /** Compiler flags after the defaults (-O2 -g -std=gnu11 -Wall ...), in make syntax. */
  cflags?: readonly string[];
  stackAndHeap?: StackAndHeap;
  /** The executable's base name; `.elf` is added on the QEMU boards. */
  program?: string;
}

export interface FirmwareProject {
  board: Board;
  dir: string;
  /** What `make` builds: an ARM ELF for QEMU, a host executable for `host`. */
  elfPath: string;
  /** The files written, relative to `dir`. */
  files: string[];
}

const GENERATED_SOURCES = ['main.c', 'startup.c', 'kws_timing.c'];
/** Make cannot quote these in file names. */
const UNSAFE_IN_MAKE = /[\s#$%:;=\\'"`*?[\]]/;
const DEFINE = /^[A-Za-z_][A-Za-z0-9_]*(=\S*)?$/;

function assertMakeSafe(absolute: string, what: string): void {
  if (UNSAFE_IN_MAKE.test(absolute)) {
    throw new KwsError(`${what} ${absolute}: make cannot use a path with spaces or any of #$%:;=\\'"\`*?[]`);
  }
}

function makePath(file: string, projectDir: string, what: string): string {
  const absolute = path.resolve(file);
  assertMakeSafe(absolute, what);
  const relative = path.relative(projectDir, absolute);
  return relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative || '.';
}

/** Objects go to build/<name>.o, so source names must differ from each other and from the generated files. */
function checkSources(sources: readonly string[]): void {
  const byName = new Map<string, string>();
  for (const source of sources) {
    if (!source.endsWith('.c')) throw new KwsError(`source ${source}: expected a .c file`);
    if (!fs.existsSync(source)) throw new KwsError(`source ${source} does not exist`);
    const name = path.basename(source);
    if (GENERATED_SOURCES.includes(name)) throw new KwsError(`source ${source}: the project writes its own ${name}`);
    const other = byName.get(name);
    if (other !== undefined) throw new KwsError(`sources ${other} and ${source} are both named ${name}`);
    byName.set(name, source);
  }
}

export function writeFirmwareProject(options: FirmwareProjectOptions): FirmwareProject {
  const { board } = options;
  const dir = path.resolve(options.outDir);
  assertMakeSafe(dir, 'output directory');
  const sources = options.sources ?? [];
  checkSources(sources);
  for (const define of options.defines ?? []) {
    if (!DEFINE.test(define)) throw new KwsError(`define '${define}': expected NAME or NAME=VALUE`);
  }
  for (const flag of options.cflags ?? []) {
    if (/[\n\r]/.test(flag)) {
      throw new KwsError(`compiler flag ${JSON.stringify(flag)}: no line breaks in a Makefile line`);
    }
  }
  for (const includeDir of options.includeDirs ?? []) {
    if (!fs.statSync(includeDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new KwsError(`include directory ${includeDir} does not exist`);
    }
  }
  const program = options.program ?? 'firmware';
  if (!/^[A-Za-z0-9_.-]+$/.test(program)) throw new KwsError(`program name '${program}': use letters, digits, _ . -`);
  const elfName = board.kind === 'qemu' ? `${program}.elf` : program;

  const timing = renderTimingSources(board);
  const files = new Map<string, string>([
    ['main.c', options.mainSource],
    ['kws_timing.h', timing.header],
    ['kws_timing.c', timing.source],
  ]);
  if (board.kind === 'qemu') {
    files.set('startup.c', renderStartupSource(board));
    files.set('link.ld', renderLinkerScript(board, options.stackAndHeap ?? DEFAULT_STACK_AND_HEAP));
  }
  const makefileSources = [
    ...GENERATED_SOURCES.filter((name) => files.has(name)),
    ...sources.map((source) => makePath(source, dir, 'source')),
  ];
  files.set(
    'Makefile',
    renderMakefile({
      board,
      program: elfName,
      sources: makefileSources,
      includeDirs: (options.includeDirs ?? []).map((includeDir) => makePath(includeDir, dir, 'include directory')),
      defines: options.defines ?? [],
      extraCflags: options.cflags ?? [],
    }),
  );
  for (const [name, text] of files) {
    const target = path.join(dir, name);
    // Unchanged files keep their time stamps, so make rebuilds only what changed.
    if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) writeFileAtomic(target, text);
  }
  return { board, dir, elfPath: path.join(dir, elfName), files: [...files.keys()] };
}
