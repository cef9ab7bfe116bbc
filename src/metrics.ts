/** Classification metrics over label indices: confusion (rows = truth, columns = prediction). */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  n: number;
  accuracy: number;
  confusion: number[][];
  perClass: ClassMetrics[];
}

export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): number[][] {
  if (truth.length !== predicted.length) {
    throw new Error(`confusionMatrix: ${truth.length} truths but ${predicted.length} predictions`);
  }
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]!]![predicted[i]!]! += 1;
  return matrix;
}

/** Precision/recall/F1 per class; a class never predicted (or never present) scores 0, not NaN. */
export function metricsFromConfusion(confusion: number[][]): Metrics {
  const k = confusion.length;
  let n = 0;
  let correct = 0;
  const columnSums = new Array<number>(k).fill(0);
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      n += count;
      columnSums[p]! += count;
      if (t === p) correct += count;
    }),
  );
  const perClass = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const tp = row[c]!;
    const precision = columnSums[c]! > 0 ? tp / columnSums[c]! : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
  return { n, accuracy: n > 0 ? correct / n : 0, confusion, perClass };
}

export function computeMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): Metrics {
  return metricsFromConfusion(confusionMatrix(truth, predicted, classCount));
}

/** Index of the largest of `length` values from `offset`; the first maximum wins, as on the device. */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let i = 1; i < length; i++) {
    const v = values[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** `argmax` of every row of a row-major [rows][cols] matrix. */
export function argmaxRows(
  values: ArrayLike<number>,
  cols: number,
  out = new Int32Array(values.length / cols),
): Int32Array {
  for (let r = 0; r < out.length; r++) out[r] = argmax(values, r * cols, cols);
  return out;
}

/** Column labels longer than this are cut, so twelve classes still fit a wide terminal. */
const MAX_COLUMN_LABEL = 9;

/** The confusion matrix as aligned text with label headers (rows = truth). */
export function formatConfusion(confusion: number[][], labels: readonly string[]): string {
  const longestLabel = Math.min(MAX_COLUMN_LABEL, Math.max(...labels.map((l) => l.length)));
  const width = Math.max(5, longestLabel, ...confusion.flat().map((v) => String(v).length)) + 1;
  const corner = 'truth\\pred';
  const labelWidth = Math.max(corner.length, ...labels.map((l) => l.length));
  const short = labels.map((l) => (l.length > width - 1 ? l.slice(0, width - 1) : l));
  const header = `${corner.padEnd(labelWidth)} ${short.map((l) => l.padStart(width)).join('')}`;
  const rows = confusion.map(
    (row, i) => `${labels[i]!.padEnd(labelWidth)} ${row.map((v) => String(v).padStart(width)).join('')}`,
  );
  return [header, ...rows].join('\n');
}
