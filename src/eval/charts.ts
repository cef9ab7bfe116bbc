/**
 * Standalone SVG charts for reports and slides: the confusion matrix as a heat-map and the
 * training curves. Plain strings, no DOM; every style is an attribute so a chart pasted into a
 * slide looks as it does in the report.
 */
import type { LogRow } from '../run/log.js';

const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const INK = '#1f2933';
const MUTED = '#616e7c';
const GRID = '#e4e7eb';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for an SVG attribute: two decimals at most, so files stay small and diff well. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT}" font-size="12" fill="${INK}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title><rect width="${width}" height="${height}" fill="#ffffff"/>`
  );
}

type Rgb = [number, number, number];

function mix(from: Rgb, to: Rgb, t: number): string {
  const c = from.map((v, i) => Math.round(v + (to[i]! - v) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// Correct predictions in blue, mistakes in red: the eye finds the confusions at once.
const WHITE: Rgb = [255, 255, 255];
const BLUE: Rgb = [8, 69, 148];
const RED: Rgb = [165, 15, 21];
const BLUE_TEXT = 'rgb(8,69,148)';
const RED_TEXT = 'rgb(165,15,21)';

/** Fill of a cell holding `share` of its true class (0..1); errors saturate at half the class. */
export function cellColour(share: number, correct: boolean): string {
  if (share <= 0) return '#f5f7fa';
  return correct ? mix(WHITE, BLUE, 0.08 + 0.92 * share) : mix(WHITE, RED, Math.min(1, 0.12 + 1.76 * share));
}

function textColourOn(share: number, correct: boolean): string {
  return (correct ? share > 0.45 : share > 0.3) ? '#ffffff' : INK;
}

/** The confusion matrix (rows = truth, columns = prediction) coloured by each row's share. */
export function confusionHeatmapSvg(confusion: readonly number[][], labels: readonly string[], title: string): string {
  const k = labels.length;
  const longest = Math.max(...labels.map((l) => l.length));
  const cell = k <= 8 ? 52 : k <= 14 ? 42 : 30;
  const labelSpace = Math.max(56, longest * 7.5 + 10);
  const left = labelSpace + 26;
  const top = 40 + labelSpace * 0.75;
  const legendWidth = 64;
  const width = left + k * cell + 16 + legendWidth;
  const height = top + k * cell + 48;
  const parts: string[] = [svgOpen(width, height, title).replace('font-size="12"', 'font-size="13"')];
  parts.push(`<text x="8" y="22" font-size="15" font-weight="600">${escapeXml(title)}</text>`);

  confusion.forEach((row, t) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      const share = support > 0 ? count / support : 0;
      const x = left + p * cell;
      const y = top + t * cell;
      const tip = `${labels[t]} → ${labels[p]}: ${count} of ${support} (${(share * 100).toFixed(1)}%)`;
      parts.push(
        `<g><title>${escapeXml(tip)}</title><rect x="${n(x)}" y="${n(y)}" width="${cell}" height="${cell}" ` +
          `fill="${cellColour(share, t === p)}" stroke="#ffffff" stroke-width="1"/>`,
      );
      if (count > 0) {
        parts.push(
          `<text x="${n(x + cell / 2)}" y="${n(y + cell / 2 + 5)}" text-anchor="middle" font-size="${cell >= 40 ? 14 : 11}" ` +
            `fill="${textColourOn(share, t === p)}"${t === p ? ' font-weight="600"' : ''}>${count}</text>`,
        );
      }
      parts.push('</g>');
    });
  });

  // Row labels (truth) and rotated column labels (prediction), with axis titles.
  labels.forEach((label, i) => {
    const cy = top + i * cell + cell / 2 + 4;
    parts.push(`<text x="${n(left - 8)}" y="${n(cy)}" text-anchor="end">${escapeXml(label)}</text>`);
    const cx = left + i * cell + cell / 2;
    parts.push(
      `<text transform="translate(${n(cx + 4)},${n(top - 8)}) rotate(-45)" text-anchor="start">${escapeXml(label)}</text>`,
    );
  });
  parts.push(
    `<text transform="translate(16,${n(top + (k * cell) / 2)}) rotate(-90)" text-anchor="middle" font-weight="600" fill="${MUTED}">true label</text>`,
    `<text x="${n(left + (k * cell) / 2)}" y="${n(top + k * cell + 30)}" text-anchor="middle" font-weight="600" fill="${MUTED}">predicted label</text>`,
  );

  // Legend: share of the true class, for correct (blue) and wrong (red) cells.
  const lx = left + k * cell + 16;
  const barHeight = Math.min(160, k * cell);
  parts.push(`<text x="${n(lx)}" y="${n(top - 10)}" font-size="11" fill="${MUTED}">of row</text>`);
  const steps = 20;
  for (let s = 0; s < steps; s++) {
    const share = 1 - s / steps;
    const y = top + (s * barHeight) / steps;
    parts.push(
      `<rect x="${n(lx)}" y="${n(y)}" width="10" height="${n(barHeight / steps + 0.5)}" fill="${cellColour(share, true)}"/>`,
    );
    parts.push(
      `<rect x="${n(lx + 12)}" y="${n(y)}" width="10" height="${n(barHeight / steps + 0.5)}" fill="${cellColour(share, false)}"/>`,
    );
  }
  for (const share of [1, 0.5, 0]) {
    const y = top + (1 - share) * barHeight;
    parts.push(`<line x1="${n(lx + 22)}" x2="${n(lx + 26)}" y1="${n(y)}" y2="${n(y)}" stroke="${MUTED}"/>`);
    parts.push(`<text x="${n(lx + 28)}" y="${n(y + 4)}" font-size="11" fill="${MUTED}">${share * 100}%</text>`);
  }
  parts.push(
    `<text x="${n(lx)}" y="${n(top + barHeight + 16)}" font-size="11" fill="${BLUE_TEXT}">right</text>`,
    `<text x="${n(lx)}" y="${n(top + barHeight + 30)}" font-size="11" fill="${RED_TEXT}">wrong</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

export interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  decimals: number;
}

/** Round tick values (1, 2, 5 × 10^k) covering [min, max], about `count` of them. */
export function niceAxis(min: number, max: number, count = 5): Axis {
  if (!(max > min)) max = min + (min === 0 ? 1 : Math.abs(min));
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const normalised = rough / magnitude;
  const step = (normalised < 1.5 ? 1 : normalised < 3 ? 2 : normalised < 7 ? 5 : 10) * magnitude;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(lo + i * step);
  return { lo, hi, ticks, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

export interface Series {
  name: string;
  colour: string;
  points: ReadonlyArray<readonly [number, number]>;
}

interface PanelOptions {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  xAxis: Axis;
  yAxis: Axis;
  yFormat: (value: number, decimals: number) => string;
  series: readonly Series[];
}

/** One line-chart panel (axes with ticks and grid, one polyline + markers per series, legend). */
function linePanel(o: PanelOptions): string {
  const plotLeft = o.x + 56;
  const plotTop = o.y + 44;
  const plotWidth = o.width - 56 - 16;
  const plotHeight = o.height - 44 - 48;
  const sx = (v: number) => plotLeft + ((v - o.xAxis.lo) / (o.xAxis.hi - o.xAxis.lo)) * plotWidth;
  const sy = (v: number) => plotTop + plotHeight - ((v - o.yAxis.lo) / (o.yAxis.hi - o.yAxis.lo)) * plotHeight;
  const parts: string[] = [
    `<text x="${n(o.x + 8)}" y="${n(o.y + 20)}" font-size="15" font-weight="600">${escapeXml(o.title)}</text>`,
  ];
  for (const tick of o.yAxis.ticks) {
    const y = sy(tick);
    parts.push(
      `<line x1="${n(plotLeft)}" x2="${n(plotLeft + plotWidth)}" y1="${n(y)}" y2="${n(y)}" stroke="${GRID}"/>`,
    );
    parts.push(
      `<text x="${n(plotLeft - 8)}" y="${n(y + 4)}" text-anchor="end" font-size="11" fill="${MUTED}">${o.yFormat(tick, o.yAxis.decimals)}</text>`,
    );
  }
  for (const tick of o.xAxis.ticks) {
    const x = sx(tick);
    parts.push(
      `<line x1="${n(x)}" x2="${n(x)}" y1="${n(plotTop + plotHeight)}" y2="${n(plotTop + plotHeight + 5)}" stroke="${MUTED}"/>`,
    );
    parts.push(
      `<text x="${n(x)}" y="${n(plotTop + plotHeight + 18)}" text-anchor="middle" font-size="11" fill="${MUTED}">${tick.toFixed(o.xAxis.decimals)}</text>`,
    );
  }
  parts.push(
    `<rect x="${n(plotLeft)}" y="${n(plotTop)}" width="${n(plotWidth)}" height="${n(plotHeight)}" fill="none" stroke="#9aa5b1"/>`,
    `<text x="${n(plotLeft + plotWidth / 2)}" y="${n(plotTop + plotHeight + 38)}" text-anchor="middle" fill="${MUTED}">${escapeXml(o.xLabel)}</text>`,
    `<text transform="translate(${n(o.x + 12)},${n(plotTop + plotHeight / 2)}) rotate(-90)" text-anchor="middle" fill="${MUTED}">${escapeXml(o.yLabel)}</text>`,
  );
  const markerRadius = o.series.some((s) => s.points.length > 40) ? 0 : 3;
  o.series.forEach((series, i) => {
    if (series.points.length === 0) return;
    const path = series.points.map(([px, py]) => `${n(sx(px))},${n(sy(py))}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${series.colour}" stroke-width="2" stroke-linejoin="round"/>`,
    );
    if (markerRadius > 0) {
      for (const [px, py] of series.points)
        parts.push(`<circle cx="${n(sx(px))}" cy="${n(sy(py))}" r="${markerRadius}" fill="${series.colour}"/>`);
    }
    const lx = plotLeft + plotWidth - 150;
    const ly = o.y + 16 + i * 15;
    parts.push(
      `<line x1="${n(lx)}" x2="${n(lx + 18)}" y1="${n(ly - 4)}" y2="${n(ly - 4)}" stroke="${series.colour}" stroke-width="3"/>`,
      `<text x="${n(lx + 24)}" y="${n(ly)}" font-size="12">${escapeXml(series.name)}</text>`,
    );
  });
  return parts.join('');
}

/** Loss, and training and validation accuracy, against step, as two panels side by side. */
export function trainingCurvesSvg(rows: readonly LogRow[], title = 'Training curves'): string {
  const width = 1000;
  const height = 340;
  const steps = rows.map((r) => r.step);
  const xAxis = niceAxis(0, Math.max(1, ...steps), 6);
  const losses = rows.map((r) => r.loss).filter(Number.isFinite);
  const lossAxis = niceAxis(0, Math.max(1e-3, ...losses), 5);
  const parts = [svgOpen(width, height, title)];
  parts.push(
    linePanel({
      x: 0,
      y: 0,
      width: width / 2,
      height,
      title: 'Loss (cross-entropy)',
      xLabel: 'step',
      yLabel: 'loss',
      xAxis,
      yAxis: lossAxis,
      yFormat: (v, d) => v.toFixed(d),
      series: [
        {
          name: 'training loss',
          colour: '#c2410c',
          points: rows.filter((r) => Number.isFinite(r.loss)).map((r) => [r.step, r.loss] as const),
        },
      ],
    }),
    linePanel({
      x: width / 2,
      y: 0,
      width: width / 2,
      height,
      title: 'Accuracy',
      xLabel: 'step',
      yLabel: 'accuracy',
      xAxis,
      yAxis: { lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], decimals: 0 },
      yFormat: (v) => `${Math.round(v * 100)}%`,
      series: [
        { name: 'training', colour: '#2563eb', points: rows.map((r) => [r.step, r.trainAccuracy] as const) },
        {
          name: 'validation',
          colour: '#059669',
          points: rows
            .filter((r) => r.validationAccuracy !== null)
            .map((r) => [r.step, r.validationAccuracy!] as const),
        },
      ],
    }),
  );
  parts.push('</svg>');
  return parts.join('');
}
