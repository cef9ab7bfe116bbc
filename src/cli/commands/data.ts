import type { Command } from 'commander';
import { buildIndex, type DataConfig, type DatasetIndex } from '../../data/dataset-index.js';
import {
  DEFAULT_DATA_DEST,
  DEFAULT_DATA_URL,
  downloadDataset,
  type DownloadProgress,
  type DownloadResult,
} from '../../data/download.js';
import { SET_NAMES } from '../../data/split.js';
import { computeStats, type DatasetStats } from '../../data/stats.js';
import { UsageError } from '../../errors.js';
import { DATA_OPTIONS, JSON_OPTION, SEED_OPTION, addOptions, pick } from '../options.js';
import { createProgress, type ProgressReporter } from '../progress.js';

interface DataCliOptions extends DataConfig {
  json?: boolean;
}

const DATA_KEYS: Array<keyof DataConfig> = [
  'dataDir',
  'wantedWords',
  'split',
  'splitSalt',
  'validationPercentage',
  'testingPercentage',
  'silencePercentage',
  'unknownPercentage',
  'seed',
];

/** Index and stats read names and audio only; the feature cache is not involved. */
const INDEX_OPTIONS = DATA_OPTIONS.filter((spec) => !spec.flags.startsWith('--cache-dir'));

function indexFrom(command: Command): { index: DatasetIndex; options: DataCliOptions } {
  const options = command.opts<DataCliOptions>();
  if (!options.dataDir)
    throw new UsageError(`kws data ${command.name()} needs --data-dir (a Speech Commands style folder)`);
  return { index: buildIndex(pick(options, DATA_KEYS)), options };
}

function warn(warnings: readonly string[]): void {
  for (const warning of warnings) process.stderr.write(`kws: warning: ${warning}\n`);
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return (
    cells
      .map((row) =>
        row
          .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
          .join('  '),
      )
      .join('\n') + '\n'
  );
}

export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('inspect, split and download Speech Commands style datasets');

  const index = data
    .command('index')
    .description('show which clip goes to which split and label (--json: one line per WAV: file, label, set)');
  addOptions(index, INDEX_OPTIONS);
  addOptions(index, [SEED_OPTION, JSON_OPTION]);
  index.action(() => {
    const { index: built, options } = indexFrom(index);
    if (options.json) {
      for (const file of built.files) {
        process.stdout.write(
          `${JSON.stringify({ file: file.relativePath, label: built.labels[file.label], set: file.set })}\n`,
        );
      }
      return;
    }
    process.stdout.write(indexSummary(built));
  });

  const stats = data
    .command('stats')
    .description('per label and split: clips, speakers, duration, RMS and peak level, clipped and near-silent clips');
  addOptions(stats, INDEX_OPTIONS);
  addOptions(stats, [SEED_OPTION, JSON_OPTION]);
  stats.action(() => {
    const { index: built, options } = indexFrom(stats);
    const progress = createProgress('stats', built.files.length);
    const result = computeStats(built, { onProgress: (done) => progress.update(done) });
    progress.finish(`${built.files.length} clips`);
    warn(result.warnings);
    process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : statsTable(result));
  });

  const download = data
    .command('download')
    .description(
      'download, verify and unpack the Speech Commands archive (resumes an interrupted download, fetches a damaged one again)',
    );
  addOptions(download, [
    { flags: '--url <url>', description: 'archive to fetch (.tar.gz)', defaultValue: DEFAULT_DATA_URL },
    {
      flags: '--dest <dir>',
      description: 'folder to unpack into (must not exist yet, or be empty)',
      defaultValue: DEFAULT_DATA_DEST,
    },
  ]);
  download.action(async () => {
    const options = download.opts<{ url: string; dest: string }>();
    const result = await downloadWithProgress(options.url, options.dest);
    const archive = `${(result.archiveBytes / 1e6).toFixed(1)} MB archive`;
    const resumed = result.resumedFrom > 0 ? `, resumed at ${(result.resumedFrom / 1e6).toFixed(1)} MB` : '';
    process.stdout.write(`${result.dest}: unpacked (${archive}${resumed})\n`);
  });
}

/**
 * `downloadDataset` with a progress bar per phase on stderr, counted in whole megabytes ("230/2428 MB"),
 * and its notices as `kws:` lines.
 */
export async function downloadWithProgress(url: string, dest: string): Promise<DownloadResult> {
  let current: { phase: DownloadProgress['phase']; reporter: ProgressReporter } | undefined;
  const result = await downloadDataset({
    url,
    dest,
    onProgress: ({ phase, done, total }) => {
      if (current?.phase !== phase) {
        current?.reporter.finish();
        const megabytes = total === null ? 0 : Math.max(1, Math.ceil(total / 1e6));
        current = { phase, reporter: createProgress(phase, megabytes) };
      }
      current.reporter.update(Math.floor(done / 1e6), 'MB');
    },
    onNotice: (message) => {
      const line = `kws: ${message}`;
      if (current) current.reporter.log(line);
      else process.stderr.write(`${line}\n`);
      // A notice ends the phase it interrupts (a verification that failed): no "done" line for it.
      current = undefined;
    },
  });
  current?.reporter.finish();
  return result;
}

function indexSummary(index: DatasetIndex): string {
  const { config } = index;
  const rows: Array<Array<string | number>> = index.labels.map((label, labelIndex) => {
    const counts = SET_NAMES.map((set) => index.sets[set].filter((entry) => entry.label === labelIndex).length);
    return [label, ...counts, counts.reduce((a, b) => a + b, 0)];
  });
  const totals = SET_NAMES.map((set) => index.sets[set].length);
  rows.push(['total', ...totals, totals.reduce((a, b) => a + b, 0)]);
  const made = SET_NAMES.map((set) => index.sets[set].filter((entry) => entry.file === null).length);
  const used = new Set(SET_NAMES.flatMap((set) => index.sets[set].map((entry) => entry.file)));
  const unused = index.files.filter((file) => !used.has(file)).length;
  const split =
    config.split === 'hash' ? `hash${config.splitSalt ? `, salt '${config.splitSalt}'` : ''}` : config.split;
  return [
    `${index.dataDir}: ${index.files.length} WAVs, split ${split}`,
    table(['label', ...SET_NAMES, 'total'], rows).trimEnd(),
    `silence made from noise (not files): ${SET_NAMES.map((set, i) => `${set} ${made[i]}`).join(', ')}`,
    ...(unused > 0
      ? [`${unused} clips of other words not drawn as unknown (--unknown-percentage ${config.unknownPercentage})`]
      : []),
    `background noise: ${index.noiseFiles.length} recording${index.noiseFiles.length === 1 ? '' : 's'}`,
    '',
  ].join('\n');
}

function statsTable(stats: DatasetStats): string {
  const rows = stats.rows.map((row) => [
    row.label === '*' ? 'all labels' : row.label,
    row.set,
    row.clips,
    row.speakers,
    `${(row.durationSeconds / 60).toFixed(1)}`,
    row.meanRmsDbfs.toFixed(1),
    row.peakDbfs.toFixed(1),
    row.clipped,
    row.nearSilent,
  ]);
  const noise = `background noise: ${stats.noise.files} recordings, ${(stats.noise.durationSeconds / 60).toFixed(1)} min`;
  return `${table(['label', 'set', 'clips', 'speakers', 'minutes', 'mean RMS dBFS', 'peak dBFS', 'clipped', 'near-silent'], rows)}${noise}\n`;
}
