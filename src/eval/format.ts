/** What `kws eval` prints: the agreed JSON object, or accuracy, confusion matrix and per-class table as text. */
import { formatConfusion, type Metrics } from '../metrics.js';
import { formatTable } from '../text-table.js';
import type { PointCosts } from './by-point.js';
import type { PairedComparison } from './paired.js';

export interface EvaluationJson {
  set: string;
  n: number;
  accuracy: number;
  labels: string[];
  confusion: number[][];
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  quantized: boolean;
  /** --quantized: the float model on the same clips, and the int8 − float difference with its 95% interval. */
  versus_float?: {
    float_accuracy: number;
    difference: number;
    interval95: [number, number];
    int8_only_right: number;
    float_only_right: number;
  };
  /** --by-point: each quantisation source alone against the float network (batch norm folded). */
  by_point?: {
    float_accuracy: number;
    rows: Array<{
      kind: 'activations' | 'weights';
      name: string;
      format: string;
      accuracy: number;
      difference: number;
      interval95: [number, number];
      only_right_here: number;
      float_only_right: number;
    }>;
  };
}

export function evaluationJson(
  set: string,
  labels: readonly string[],
  metrics: Metrics,
  quantized: boolean,
): EvaluationJson {
  const perClass: EvaluationJson['per_class'] = {};
  labels.forEach((label, i) => {
    const { precision, recall, f1, support } = metrics.perClass[i]!;
    perClass[label] = { precision, recall, f1, support };
  });
  return {
    set,
    n: metrics.n,
    accuracy: metrics.accuracy,
    labels: [...labels],
    confusion: metrics.confusion,
    per_class: perClass,
    quantized,
  };
}

export function versusFloatJson(floatMetrics: Metrics, paired: PairedComparison): EvaluationJson['versus_float'] {
  return {
    float_accuracy: floatMetrics.accuracy,
    difference: paired.difference,
    interval95: paired.interval,
    int8_only_right: paired.firstOnlyRight,
    float_only_right: paired.secondOnlyRight,
  };
}

/** A signed difference of proportions in points, with a true minus sign. */
export function signedPoints(difference: number, decimals = 2): string {
  const points = difference * 100;
  return `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(decimals)}`;
}

/** An interval of differences in points: "−5.56 to −0.81". */
export function signedInterval([low, high]: readonly [number, number]): string {
  return `${signedPoints(low)} to ${signedPoints(high)}`;
}

/** One line: how far the int8 network is from its float model on the same clips, and how sure that is. */
export function formatVersusFloat(floatMetrics: Metrics, paired: PairedComparison): string {
  const differing = paired.firstOnlyRight + paired.secondOnlyRight;
  return (
    `float model on the same clips: accuracy ${percent(floatMetrics.accuracy)}; int8 − float ${signedPoints(paired.difference)} points ` +
    `(95% interval ${signedInterval(paired.interval)}; ${differing} clip${differing === 1 ? '' : 's'} differ: ` +
    `${paired.firstOnlyRight} right only in int8, ${paired.secondOnlyRight} only in float)`
  );
}

export function percent(value: number, decimals = 2): string {
  return `${(value * 100).toFixed(decimals)}%`;
}

/** Precision, recall, F1 (as percentages) and support per class, aligned, with a macro-average row. */
export function formatClassTable(metrics: Metrics, labels: readonly string[]): string {
  const macro = (key: 'precision' | 'recall' | 'f1') =>
    metrics.perClass.reduce((sum, c) => sum + c[key], 0) / metrics.perClass.length;
  const rows = [
    ['label', 'precision', 'recall', 'f1', 'support'],
    ...labels.map((label, i) => {
      const c = metrics.perClass[i]!;
      return [label, percent(c.precision, 1), percent(c.recall, 1), percent(c.f1, 1), String(c.support)];
    }),
    [
      'macro avg',
      percent(macro('precision'), 1),
      percent(macro('recall'), 1),
      percent(macro('f1'), 1),
      String(metrics.n),
    ],
  ];
  return formatTable(rows);
}

/** The headline, the labelled confusion matrix and the per-class table. */
export function formatMetrics(heading: string, metrics: Metrics, labels: readonly string[]): string {
  const correct = metrics.confusion.reduce((sum, row, i) => sum + row[i]!, 0);
  return [
    `${heading}: accuracy ${percent(metrics.accuracy)} (${correct} of ${metrics.n})`,
    '',
    formatConfusion(metrics.confusion, labels),
    '',
    formatClassTable(metrics, labels),
  ].join('\n');
}

/** `--by-point`: one row per quantisation source alone, against the float network on the same clips. */
export function formatPointCosts(costs: PointCosts): string {
  const rows = [
    ['quantised alone', 'accuracy', '− float', '95% interval', 'right only here / only in float', 'format'],
    ...costs.rows.map((row) => [
      row.name === 'all' ? `all ${row.kind}` : `${row.name} ${row.kind}`,
      percent(row.accuracy),
      signedPoints(row.versusFloat.difference),
      signedInterval(row.versusFloat.interval),
      `${row.versusFloat.firstOnlyRight} / ${row.versusFloat.secondOnlyRight}`,
      row.format,
    ]),
  ];
  const format = rows[0]!.length - 1;
  return [
    `What each quantisation source costs on its own (the rest stays float; float network with batch norm folded: ${percent(costs.floatAccuracy)}):`,
    formatTable(rows, (column) => column === 0 || column === format),
  ].join('\n');
}

export function pointCostsJson(costs: PointCosts): NonNullable<EvaluationJson['by_point']> {
  return {
    float_accuracy: costs.floatAccuracy,
    rows: costs.rows.map(({ kind, name, format, accuracy, versusFloat }) => ({
      kind,
      name,
      format,
      accuracy,
      difference: versusFloat.difference,
      interval95: versusFloat.interval,
      only_right_here: versusFloat.firstOnlyRight,
      float_only_right: versusFloat.secondOnlyRight,
    })),
  };
}
