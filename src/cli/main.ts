import { Command, CommanderError } from 'commander';
import { KwsError, errorMessage } from '../errors.js';
import { KWS_VERSION } from '../version.js';
import { normalizeArgv } from './options.js';
// commands: imports (one line per command)
import { registerDemoCommand } from './commands/demo.js';
import { registerTrainCommand } from './commands/train.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerFeaturesCommand } from './commands/features.js';
import { registerInfoCommand } from './commands/info.js';
import { registerDataCommand } from './commands/data.js';
import { registerQuantizeCommand } from './commands/quantize.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerFirmwareCommand } from './commands/firmware.js';

export function buildProgram(): Command {
  const program = new Command('kws')
    .description('Keyword spotting for microcontrollers: train, quantise to 8-bit CMSIS-NN C, evaluate')
    .version(KWS_VERSION)
    .option('--verbose', 'show details of errors (stack traces) and extra progress output')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // commands: registrations (one line per command)
  registerDemoCommand(program);
  registerTrainCommand(program);
  registerBenchCommand(program);
  registerFeaturesCommand(program);
  registerInfoCommand(program);
  registerDataCommand(program);
  registerQuantizeCommand(program);
  registerEvalCommand(program);
  registerPredictCommand(program);
  registerDetectCommand(program);
  registerFirmwareCommand(program);
  return program;
}

function verboseRequested(argv: readonly string[]): boolean {
  return argv.includes('--verbose');
}

/** Runs the CLI; resolves to the process exit code. Errors end as one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = normalizeArgv(argv);
  const program = buildProgram();
  program.commands.forEach(function inheritExitOverride(cmd) {
    cmd.exitOverride();
    cmd.commands.forEach(inheritExitOverride);
  });
  try {
    await program.parseAsync(args);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; it has already printed them.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    if (error instanceof KwsError) {
      process.stderr.write(`kws: ${error.message}\n`);
      if (verboseRequested(args) && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`kws: internal error: ${errorMessage(error)} (please report it; --verbose shows the stack)\n`);
    if (verboseRequested(args) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
