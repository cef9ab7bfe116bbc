/** Runs a tool or a firmware to completion with its output captured, stdin fed and a time limit. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { KwsError } from '../errors.js';

export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes for stdin; by default stdin is empty. */
  input?: Uint8Array;
  /** A file to use as stdin instead (streamed, not read into memory). */
  inputFile?: string;
  timeoutMs: number;
}

export interface ProcessResult {
  stdout: Buffer;
  stderr: Buffer;
  /** null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

function openInput(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KwsError(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : String(code)})`);
  }
}

export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const inputFd = options.inputFile === undefined ? undefined : openInput(options.inputFile);
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [inputFd ?? 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A program that exits without reading all its input closes the pipe under us: not an error.
    child.stdin?.on('error', () => {});
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exitCode, signal, timedOut });
    });
    child.stdin?.end(options.input ?? Buffer.alloc(0));
  }).finally(() => {
    if (inputFd !== undefined) fs.closeSync(inputFd);
  });
}
