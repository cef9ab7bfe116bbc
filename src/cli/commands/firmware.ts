/**
 * `kws firmware`: builds the run's device program — network, feature front end, streaming
 * detector and a main() reading audio — for the host or an emulated Cortex-M, reports its flash
 * and RAM per part, and with `--run` runs it on a WAV stream, printing detections as `kws detect`
 * does plus instructions per inference.
 */
import type { Command } from 'commander';
import { readWav } from '../../audio/wav.js';
import type { PosteriorSettings } from '../../detect/posteriors.js';
import { KwsError } from '../../errors.js';
import { BOARD_NAMES, BOARDS, type BoardName } from '../../firmware/boards.js';
import type { DetectorProgram, ProgramRun } from '../../firmware/detector-program.js';
import { describeInstructionCount } from '../../firmware/instructions.js';
import type { SizeReport } from '../../firmware/sizes.js';
import { profileModel } from '../../models/profile.js';
import { emittedCMemory } from '../../quant/c-memory.js';
import type { CheckpointName } from '../../run/layout.js';
import { detectionLine, runOperatingPoint } from '../detections.js';
import { JSON_OPTION, OPERATING_POINT_OPTIONS, TRAINED_RUN_OPTIONS, addOptions } from '../options.js';
import { trainedRun } from '../resolve.js';

interface FirmwareCliOptions extends Partial<PosteriorSettings> {
  trainDir?: string;
  checkpoint?: CheckpointName;
  board: BoardName;
  cmsisNn?: string;
  cmsisCore?: string;
  out?: string;
  run?: string;
  json?: boolean;
}

export function registerFirmwareCommand(program: Command): void {
  const command = program
    .command('firmware')
    .description(
      "build the run's int8 network, feature front end and streaming detector into a program for the host or an " +
        'emulated Cortex-M (QEMU), report flash and RAM, and with --run detect keywords in a WAV on it',
    );
  addOptions(command, TRAINED_RUN_OPTIONS);
  addOptions(command, [
    {
      flags: '--board <board>',
      description: `host (this machine's gcc), or QEMU: ${BOARD_NAMES.filter((b) => b !== 'host')
        .map((b) => `${b} (${BOARDS[b].description})`)
        .join(', ')}`,
      defaultValue: 'qemu-m4',
      choices: BOARD_NAMES,
    },
    {
      flags: '--cmsis-nn <dir>',
      description:
        "ARM's legacy CMSIS-NN (CMSIS 5.8/5.9's CMSIS/NN, or CMSIS-NN before 4.0) instead of the project's portable kernels",
    },
    { flags: '--cmsis-core <dir>', description: "CMSIS-Core's headers (CMSIS/Core/Include), needed with --cmsis-nn" },
    {
      flags: '--out <dir>',
      description: 'where the project is written and built (default: <train-dir>/firmware/<board>)',
    },
    {
      flags: '--run <wav>',
      description:
        "run the program on this WAV (the model's sample rate) and print its detections as kws detect --quantized does",
    },
    ...OPERATING_POINT_OPTIONS,
    {
      ...JSON_OPTION,
      description:
        'with --run: one JSON line per detection as kws detect --json, then a {"summary"} line; else one JSON object',
    },
  ]);
  command.action(async () => {
    const options = command.opts<FirmwareCliOptions>();
    const { dir, run } = trainedRun(options.trainDir);
    // The audio is checked before the build, so a wrong file fails at once.
    const pcm = options.run === undefined ? undefined : pcm16(options.run, run.feature.sampleRate);
    const { buildDetectorProgram, programSizes, runDetectorProgram } =
      await import('../../firmware/detector-program.js');
    const program = await buildDetectorProgram({
      trainDir: dir.root,
      board: options.board,
      outDir: options.out,
      cmsisNn: options.cmsisNn,
      cmsisCore: options.cmsisCore,
      checkpoint: options.checkpoint,
      operatingPoint: runOperatingPoint(dir.root, 'int8', options.checkpoint ?? 'best', options),
    });
    const sizes = await programSizes(program);
    const estimate = emittedCMemory(
      profileModel({
        architecture: program.network.architecture,
        modelSizeInfo: run.modelSizeInfo,
        frames: program.network.frames,
        coefficients: program.network.coefficients,
        labelCount: program.network.labels.length,
      }),
    );
    if (!pcm) {
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ ...buildJson(program), sizes, infoEstimate: estimate })}\n`
          : `${buildSummary(program, sizes, estimate.total)}\n`,
      );
      return;
    }
    const result = await runDetectorProgram(program, pcm);
    for (const detection of result.detections)
      process.stdout.write(detectionLine(detection, undefined, Boolean(options.json)));
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ summary: { input: options.run!, ...buildJson(program), ...runJson(result), sizes } })}\n`,
      );
    } else {
      process.stdout.write(
        `${runSummary(options.run!, program, result)}\n${buildSummary(program, sizes, estimate.total)}\n`,
      );
    }
  });
}

/** The WAV as the device's ADC would give it: 16-bit samples at the model's rate. */
function pcm16(file: string, sampleRate: number): Int16Array {
  const wav = readWav(file);
  if (wav.sampleRate !== sampleRate) {
    throw new KwsError(
      `${file}: ${wav.sampleRate} Hz audio, but the model expects ${sampleRate} Hz; convert it first (e.g. sox in.wav -r ${sampleRate} out.wav)`,
    );
  }
  return Int16Array.from(wav.samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

const count = (n: number) => n.toLocaleString('en-US');

function buildJson(program: DetectorProgram) {
  const { board, project, source, kernels } = program;
  return { board: board.name, elf: project.elfPath, kernels, source };
}

function buildSummary(program: DetectorProgram, sizes: SizeReport, estimate: number): string {
  const { board, source, network, kernels } = program;
  const rows: Array<[string, number, number]> = [
    ...Object.entries(sizes.groups).map(([name, group]): [string, number, number] => [name, group.flash, group.ram]),
    ['startup, C library, main', sizes.other.flash, sizes.other.ram],
    ['total', sizes.flash, sizes.ram],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const table = [
    `${'part'.padEnd(width)}  ${'flash B'.padStart(9)}  ${'RAM B'.padStart(9)}`,
    ...rows.map(
      ([name, flash, ram]) => `${name.padEnd(width)}  ${count(flash).padStart(9)}  ${count(ram).padStart(9)}`,
    ),
  ];
  const model = `${network.architecture} (${source.checkpoint} checkpoint, step ${source.step})`;
  const kernelNote = kernels === 'portable' ? "the project's portable CMSIS-NN kernels" : "ARM's CMSIS-NN kernels";
  return [
    `built ${program.project.elfPath}: ${model} for ${board.name} (${board.description}) with ${kernelNote}`,
    ...table,
    `(measured from the ELF with ${board.sizeTool} and ${board.nmTool}; stack and heap reserved by the linker script not included` +
      `; kws info's estimate of the network's own weights, buffers and scratch: ${count(estimate)} B)`,
    `project: ${program.project.dir} (make, make run, make size)`,
  ].join('\n');
}

function runJson(result: ProgramRun) {
  const { detections, instructions, ...rest } = result;
  return { ...rest, detections: detections.length, instructions: instructions ?? null };
}

function runSummary(input: string, program: DetectorProgram, result: ProgramRun): string {
  const detections = `${result.detections.length} detection${result.detections.length === 1 ? '' : 's'}`;
  const lines = [
    `${input}: ${result.audioSeconds.toFixed(1)} s of audio, ${result.windows} windows, ${detections} ` +
      `on ${program.board.name} (${result.wallSeconds.toFixed(1)} s wall)`,
  ];
  if (result.dropped > 0)
    lines.push(`  ${result.dropped} detections did not fit KWS_STREAM_MAX_DETECTIONS and were not printed`);
  if (result.instructions) {
    lines.push(
      `  kws_run (one inference):       ${describeInstructionCount(result.instructions.inference)}`,
      `  kws_features_frame (one frame): ${describeInstructionCount(result.instructions.frame)}`,
      `  kws_stream_push, per window:    ${describeInstructionCount(result.instructions.perWindow)}`,
      `  real time needs ${(result.instructions.perAudioSecond.instructions / 1e6).toFixed(1)} million instructions ` +
        'per second of audio at this hop (on a real core, cycles per instruction come on top)',
    );
  }
  return lines.join('\n');
}
