/**
 * Flash and RAM of a built firmware, from `size` (text/data/bss) and `nm -S --size-sort`
 * (symbol sizes): flash = text + data (code, constants, the initial values of .data), RAM =
 * data + bss, and the share of caller-given groups of symbols (weights, activation buffers, the
 * front end, ...); whatever no group claims is code and data of the rest (startup, C library).
 */
import { KwsError } from '../errors.js';
import type { Board } from './boards.js';
import { runProcess } from './process.js';
import { requireTools, toolsFor } from './tools.js';

export interface SectionSizes {
  text: number;
  data: number;
  bss: number;
}

export interface SymbolSize {
  name: string;
  size: number;
  /** nm's letter: T/t code, R/r read-only data, D/d initialised data, B/b zero-initialised data, ... */
  type: string;
}

export interface SizeShare {
  flash: number;
  ram: number;
}

export interface GroupSize extends SizeShare {
  symbols: SymbolSize[];
}

export interface SizeReport extends SectionSizes {
  /** text + data */
  flash: number;
  /** data + bss (the stack and heap reserved in link.ld are not counted) */
  ram: number;
  /** Per caller group, in the caller's order; a symbol counts in the first group it matches. */
  groups: Record<string, GroupSize>;
  /** Code and data outside every group. */
  other: SizeShare;
}

/** Symbol groups by name: `{ weights: /_wt$|_bias$/i, activations: /^buffer|col_buffer/ }`. */
export type SymbolGroups = Readonly<Record<string, RegExp>>;

/** The totals line of Berkeley-format `size` output (`text data bss dec hex filename`). */
export function parseSizeOutput(output: string): SectionSizes {
  const totals = output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields.length >= 3 && fields.slice(0, 3).every((field) => /^\d+$/.test(field)));
  if (totals === undefined) throw new KwsError(`unexpected output from size: ${output.trim().split('\n')[0] ?? ''}`);
  const [text = 0, data = 0, bss = 0] = totals.slice(0, 3).map(Number);
  return { text, data, bss };
}

/** `nm -S --size-sort` lines: address, size (hex), type letter, name. Lines without a size are skipped. */
export function parseNmOutput(output: string): SymbolSize[] {
  const symbols: SymbolSize[] = [];
  for (const line of output.split('\n')) {
    const match = /^[0-9a-fA-F]+\s+([0-9a-fA-F]+)\s+(\S)\s+(.+)$/.exec(line.trim());
    if (match === null) continue;
    const [, size = '', type = '', name = ''] = match;
    symbols.push({ name, size: parseInt(size, 16), type });
  }
  return symbols;
}

/** Where a symbol of this nm type lives: initialised data is in both (its initial values are in flash). */
function symbolShare(symbol: SymbolSize): SizeShare {
  switch (symbol.type.toUpperCase()) {
    case 'T':
    case 'W':
    case 'R':
      return { flash: symbol.size, ram: 0 };
    case 'D':
      return { flash: symbol.size, ram: symbol.size };
    case 'B':
    case 'C':
      return { flash: 0, ram: symbol.size };
    default:
      return { flash: 0, ram: 0 };
  }
}

export function sizeBreakdown(
  sections: SectionSizes,
  symbols: readonly SymbolSize[],
  groups: SymbolGroups,
): SizeReport {
  const report: SizeReport = {
    ...sections,
    flash: sections.text + sections.data,
    ram: sections.data + sections.bss,
    groups: Object.fromEntries(Object.keys(groups).map((name) => [name, { flash: 0, ram: 0, symbols: [] }])),
    other: { flash: 0, ram: 0 },
  };
  for (const symbol of symbols) {
    // search() ignores a /g pattern's lastIndex, which test() would carry from symbol to symbol.
    const match = Object.entries(groups).find(([, pattern]) => symbol.name.search(pattern) !== -1);
    const group = match === undefined ? undefined : report.groups[match[0]];
    if (group === undefined) continue;
    const share = symbolShare(symbol);
    group.flash += share.flash;
    group.ram += share.ram;
    group.symbols.push(symbol);
  }
  const grouped = Object.values(report.groups);
  report.other = {
    flash: report.flash - grouped.reduce((sum, group) => sum + group.flash, 0),
    ram: report.ram - grouped.reduce((sum, group) => sum + group.ram, 0),
  };
  return report;
}

async function toolOutput(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runProcess(tool, args, { env, timeoutMs: 60_000 });
  if (result.exitCode !== 0) {
    throw new KwsError(`${tool} ${args.join(' ')} failed: ${result.stderr.toString().trim().split('\n')[0] ?? ''}`);
  }
  return result.stdout.toString();
}

/** Runs the board's `size` and `nm` on `elfPath` and breaks the totals down by `groups`. */
export async function measureSizes(
  board: Board,
  elfPath: string,
  groups: SymbolGroups = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<SizeReport> {
  requireTools(toolsFor(board, ['sizes']), env);
  const [sizeOutput, nmOutput] = await Promise.all([
    toolOutput(board.sizeTool, [elfPath], env),
    toolOutput(board.nmTool, ['-S', '--size-sort', elfPath], env),
  ]);
  return sizeBreakdown(parseSizeOutput(sizeOutput), parseNmOutput(nmOutput), groups);
}
