/** Runs `kws` commands in-process, the way main() parses them, with their output captured. */
import { Command } from 'commander';
import { vi } from 'vitest';
import { normalizeArgv } from '../../src/cli/options.js';
import { asError } from '../../src/errors.js';

export interface CommandRun {
  stdout: string;
  stderr: string;
  /** What the command threw (a commander exit, a UsageError, ...); undefined when it succeeded. */
  error?: unknown;
}

/**
 * `kws <args>` on a program holding only the commands `register` adds. Errors are returned, not
 * thrown, so a test can look at what was printed before the failure.
 */
export async function runKws(register: (program: Command) => void, args: string[]): Promise<CommandRun> {
  const program = new Command('kws').exitOverride();
  register(program);
  program.commands.forEach((command) => command.exitOverride());
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    // As main() does: ARM's underscore spellings become kebab-case.
    await program.parseAsync(normalizeArgv(['node', 'kws', ...args]));
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    vi.restoreAllMocks();
  }
}

/** The stdout of a `kws` command that must succeed; its error, if any, is rethrown. */
export async function kwsStdout(register: (program: Command) => void, args: string[]): Promise<string> {
  const { stdout, error } = await runKws(register, args);
  if (error !== undefined) throw asError(error);
  return stdout;
}
