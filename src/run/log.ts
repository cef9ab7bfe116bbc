/**
 * The training log: one row per evaluation interval, as JSON lines (for programs) and CSV (for
 * spreadsheets). On resume, rows after the checkpoint's step are dropped so the log matches the
 * weights it describes.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../atomic.js';
import type { RunDir } from './layout.js';

export interface LogRow {
  step: number;
  learningRate: number;
  /** Mean training loss and accuracy over the steps since the previous row. */
  loss: number;
  trainAccuracy: number;
  validationAccuracy: number | null;
  samplesPerSecond: number;
  elapsedSeconds: number;
}

const COLUMNS: ReadonlyArray<keyof LogRow> = [
  'step',
  'learningRate',
  'loss',
  'trainAccuracy',
  'validationAccuracy',
  'samplesPerSecond',
  'elapsedSeconds',
];
const CSV_HEADER = 'step,learning_rate,loss,train_accuracy,validation_accuracy,samples_per_second,elapsed_seconds';

function csvLine(row: LogRow): string {
  return COLUMNS.map((key) => (row[key] === null ? '' : String(row[key]))).join(',');
}

export function readLog(dir: RunDir): LogRow[] {
  const file = dir.logJsonl;
  if (!fs.existsSync(file)) return [];
  const rows: LogRow[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as LogRow);
    } catch {
      // A line cut short by a kill mid-append: the rows before it are still good.
    }
  }
  return rows;
}

export class TrainLog {
  constructor(private readonly dir: RunDir) {}

  /** Keeps only rows up to `step` (all rows are dropped for a fresh run, step 0). */
  truncateAfter(step: number): void {
    const kept = readLog(this.dir).filter((row) => row.step <= step);
    writeFileAtomic(this.dir.logJsonl, kept.map((row) => `${JSON.stringify(row)}\n`).join(''));
    writeFileAtomic(this.dir.logCsv, [CSV_HEADER, ...kept.map(csvLine)].join('\n') + '\n');
  }

  append(row: LogRow): void {
    fs.appendFileSync(this.dir.logJsonl, `${JSON.stringify(row)}\n`);
    fs.appendFileSync(this.dir.logCsv, `${csvLine(row)}\n`);
  }
}
