/**
 * The training log: one row per evaluation interval, as JSON lines (for programs) and CSV (for
 * spreadsheets). On resume, rows after the checkpoint's step are dropped so the log matches the
 * weights it describes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';

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

export const LOG_JSONL = 'train-log.jsonl';
export const LOG_CSV = 'train-log.csv';

function csvLine(row: LogRow): string {
  return COLUMNS.map((key) => (row[key] === null ? '' : String(row[key]))).join(',');
}

export function readLog(trainDir: string): LogRow[] {
  const file = path.join(trainDir, LOG_JSONL);
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
  constructor(private readonly trainDir: string) {}

  /** Keeps only rows up to `step` (all rows are dropped for a fresh run, step 0). */
  truncateAfter(step: number): void {
    const kept = readLog(this.trainDir).filter((row) => row.step <= step);
    writeFileAtomic(path.join(this.trainDir, LOG_JSONL), kept.map((row) => `${JSON.stringify(row)}\n`).join(''));
    writeFileAtomic(path.join(this.trainDir, LOG_CSV), [CSV_HEADER, ...kept.map(csvLine)].join('\n') + '\n');
  }

  append(row: LogRow): void {
    fs.appendFileSync(path.join(this.trainDir, LOG_JSONL), `${JSON.stringify(row)}\n`);
    fs.appendFileSync(path.join(this.trainDir, LOG_CSV), `${csvLine(row)}\n`);
  }
}
