/**
 * The toolchain layer of `kws firmware`: boards, tool detection, the project writer (startup.c,
 * link.ld, kws_timing.h/.c, Makefile around the caller's C), build, run under QEMU or on the
 * host, flash/RAM sizes and SysTick ticks as instruction counts.
 */
export {
  BOARDS,
  BOARD_NAMES,
  boardByName,
  isBoardName,
  type Board,
  type BoardName,
  type HostBoard,
  type MemoryRegion,
  type QemuBoard,
} from './boards.js';
export {
  FIRMWARE_TOOLS,
  detectTools,
  findTool,
  missingToolsMessage,
  requireTools,
  toolsFor,
  type FirmwareStep,
  type FirmwareTool,
  type ToolPaths,
} from './tools.js';
export { DEFAULT_STACK_AND_HEAP, type StackAndHeap } from './linker-script.js';
export { FAULT_EXIT_STATUS, FAULT_REPORT_PREFIX } from './startup-source.js';
export { writeFirmwareProject, type FirmwareProject, type FirmwareProjectOptions } from './project.js';
export { buildFirmware, firstErrorLine, type BuildOptions, type BuildResult } from './build.js';
export { qemuArguments, runFirmware, type RunOptions, type RunResult } from './run.js';
export {
  measureSizes,
  parseNmOutput,
  parseSizeOutput,
  sizeBreakdown,
  type GroupSize,
  type SectionSizes,
  type SizeReport,
  type SizeShare,
  type SymbolGroups,
  type SymbolSize,
} from './sizes.js';
export {
  MAX_ICOUNT_SHIFT,
  checkIcountShift,
  describeInstructionCount,
  exactIcountShift,
  ticksToInstructions,
  type InstructionCount,
} from './instructions.js';
