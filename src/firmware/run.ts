/**
 * Runs a built firmware: under qemu-system-arm with semihosting on the QEMU boards (the
 * program's stdin, stdout and stderr are QEMU's, and main's return value is QEMU's exit status),
 * or directly on the host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KwsError } from '../errors.js';
import type { Board, QemuBoard } from './boards.js';
import { checkIcountShift } from './instructions.js';
import { QEMU_SEMIHOSTING_FLAGS } from './makefile.js';
import { runProcess } from './process.js';
import { FAULT_EXIT_STATUS, FAULT_REPORT_PREFIX } from './startup-source.js';
import { requireTools, toolsFor } from './tools.js';

export interface RunOptions {
  /** Bytes for the program's stdin. */
  input?: Uint8Array;
  /** A file for the program's stdin instead (streamed). */
  inputFile?: string;
  /**
   * QEMU's -icount shift=N: every instruction advances the virtual clock by 2^N ns, so runs are
   * deterministic and SysTick ticks convert to instruction counts (see instructions.ts).
   */
  icountShift?: number;
  /** Wall-time limit; default 10 minutes. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** main's return value; 128 + the signal number when a signal ended a host program. */
  exitCode: number;
  /** startup.c's fault handler stopped it (its report is the last line on stderr). */
  faulted: boolean;
  /** The command that ran, for reports. */
  command: string[];
}

const DEFAULT_RUN_TIMEOUT_MS = 10 * 60 * 1000;

export function qemuArguments(board: QemuBoard, elfPath: string, icountShift?: number): string[] {
  const icount = icountShift === undefined ? [] : ['-icount', `shift=${icountShift}`];
  return ['-M', board.machine, ...QEMU_SEMIHOSTING_FLAGS, ...icount, '-kernel', elfPath];
}

export async function runFirmware(board: Board, elfPath: string, options: RunOptions = {}): Promise<RunResult> {
  const { icountShift } = options;
  if (icountShift !== undefined) {
    if (board.kind === 'host') throw new KwsError('instruction counts (-icount) need a QEMU board, not host');
    checkIcountShift(icountShift);
  }
  const env = options.env ?? process.env;
  requireTools(toolsFor(board, ['run']), env);
  // Absolute, so that a bare host program name is not looked up on PATH.
  const program = path.resolve(elfPath);
  if (!fs.existsSync(program)) throw new KwsError(`${program} does not exist: build the firmware first`);
  const executable = board.kind === 'qemu' ? 'qemu-system-arm' : program;
  const args = board.kind === 'qemu' ? qemuArguments(board, program, icountShift) : [];
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const result = await runProcess(executable, args, {
    env,
    input: options.input,
    inputFile: options.inputFile,
    timeoutMs,
  });
  if (result.timedOut) {
    throw new KwsError(`${board.name}: ${program} did not finish within ${timeoutMs / 1000} s`);
  }
  const exitCode = result.exitCode ?? 128 + (result.signal === null ? 0 : os.constants.signals[result.signal]);
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode,
    faulted:
      board.kind === 'qemu' && exitCode === FAULT_EXIT_STATUS && result.stderr.toString().includes(FAULT_REPORT_PREFIX),
    command: [executable, ...args],
  };
}
