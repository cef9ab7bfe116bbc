/**
 * The detection report: the threshold sweep as JSON, as an SVG curve (recall against false alarms
 * per hour, one point per threshold, the chosen threshold marked) and as a small HTML page with
 * the chart and the table, so a user can pick an operating point.
 */
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { escapeXml } from '../eval/charts.js';
import { formatThreshold, type DetectionScore, type SweepPoint } from './evaluation.js';

export interface DetectionEvaluation {
  input: string;
  audioSeconds: number;
  threshold: number;
  toleranceMs: number;
  /** The score of the detections actually emitted (at `threshold`). */
  atThreshold: DetectionScore;
  sweep: SweepPoint[];
}

const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const INK = '#1f2933';
const MUTED = '#616e7c';
const GRID = '#e4e7eb';
const LINE = '#084594';
const CHOSEN = '#a50f15';
const STYLE =
  `body{font-family:${FONT};color:${INK};max-width:760px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}` +
  `td,th{padding:2px 10px;text-align:right;border-bottom:1px solid ${GRID}}tr.chosen{background:#fde8e8;font-weight:600}`;

function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** x position of a false-alarm rate: log(1 + rate), so 0 sits on the axis and 1…1000 per hour share the width. */
function logScale(rate: number): number {
  return Math.log10(1 + rate);
}

function rateTicks(max: number): number[] {
  const ticks = [0];
  for (let decade = 1; decade <= Math.max(1, max) * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) if (m * decade <= Math.max(1, max) * 1.0001) ticks.push(m * decade);
  }
  return ticks;
}

/** Recall (y) against false alarms per hour (x, log(1+x) scale); labelled points every 0.1 and at the chosen threshold. */
export function sweepSvg(evaluation: DetectionEvaluation): string {
  const width = 680;
  const height = 440;
  const left = 64;
  const top = 56;
  const plotWidth = width - left - 48;
  const plotHeight = height - top - 64;
  const points = evaluation.sweep.filter((p) => p.recall !== null);
  const maxRate = Math.max(1, ...points.map((p) => p.falseAlarmsPerHour));
  const xMax = logScale(maxRate);
  const sx = (rate: number) => left + (logScale(rate) / xMax) * plotWidth;
  const sy = (recall: number) => top + plotHeight - recall * plotHeight;
  const title = `Keyword detection: recall vs false alarms (${(evaluation.audioSeconds / 60).toFixed(1)} min of audio)`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT}" font-size="12" fill="${INK}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title><rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="12" y="40" font-size="11" fill="${MUTED}">` +
      `one point per detection threshold (labelled every 0.1); red: the threshold of this run (${evaluation.threshold})</text>`,
  ];
  for (let i = 0; i <= 10; i += 2) {
    const y = sy(i / 10);
    parts.push(`<line x1="${left}" x2="${n(left + plotWidth)}" y1="${n(y)}" y2="${n(y)}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${left - 8}" y="${n(y + 4)}" text-anchor="end" font-size="11" fill="${MUTED}">${i * 10}%</text>`,
    );
  }
  for (const tick of rateTicks(maxRate)) {
    const x = sx(tick);
    parts.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${top}" y2="${n(top + plotHeight + 5)}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${n(x)}" y="${n(top + plotHeight + 18)}" text-anchor="middle" font-size="11" fill="${MUTED}">${tick}</text>`,
    );
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${n(plotWidth)}" height="${n(plotHeight)}" fill="none" stroke="#9aa5b1"/>`,
    `<text x="${n(left + plotWidth / 2)}" y="${n(top + plotHeight + 40)}" text-anchor="middle" fill="${MUTED}">false alarms per hour (log scale)</text>`,
    `<text transform="translate(18,${n(top + plotHeight / 2)}) rotate(-90)" text-anchor="middle" fill="${MUTED}">recall</text>`,
  );
  if (points.length > 0) {
    const line = points.map((p) => `${n(sx(p.falseAlarmsPerHour))},${n(sy(p.recall!))}`).join(' ');
    parts.push(`<polyline points="${line}" fill="none" stroke="${LINE}" stroke-width="2" stroke-linejoin="round"/>`);
  }
  for (const p of points) {
    const labelled = Math.abs(p.threshold * 10 - Math.round(p.threshold * 10)) < 1e-9 || p.threshold === 0.99;
    const chosen = Math.abs(p.threshold - evaluation.threshold) < 1e-9;
    if (!labelled && !chosen) continue;
    const x = sx(p.falseAlarmsPerHour);
    const y = sy(p.recall!);
    parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${chosen ? 5 : 3}" fill="${chosen ? CHOSEN : LINE}"/>`);
    parts.push(
      `<text x="${n(x + 6)}" y="${n(y - 6)}" font-size="10" fill="${chosen ? CHOSEN : MUTED}">${formatThreshold(p.threshold)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function percent(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

export function sweepHtml(evaluation: DetectionEvaluation): string {
  const at = evaluation.atThreshold;
  const rows = evaluation.sweep
    .map((p) => {
      const chosen = Math.abs(p.threshold - evaluation.threshold) < 1e-9 ? ' class="chosen"' : '';
      return (
        `<tr${chosen}><td>${formatThreshold(p.threshold)}</td><td>${p.detections}</td><td>${p.hits}</td><td>${p.misses}</td>` +
        `<td>${p.falseAlarms}</td><td>${percent(p.recall)}</td><td>${p.falseAlarmsPerHour.toFixed(1)}</td></tr>`
      );
    })
    .join('\n');
  const audio =
    `${(evaluation.audioSeconds / 60).toFixed(1)} minutes of audio, ${at.keywordEvents} keyword utterances, ${at.distractors} other clips; ` +
    `a hit is a detection of the right word within ${evaluation.toleranceMs} ms of the word's clip centre.`;
  const score =
    `At threshold ${evaluation.threshold}: recall <b>${percent(at.recall)}</b> (${at.hits} hits, ${at.misses} misses), ` +
    `<b>${at.falseAlarmsPerHour.toFixed(1)}</b> false alarms per hour (${at.falseAlarms}).`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kws detect: ${escapeXml(evaluation.input)}</title>
<style>${STYLE}</style>
</head><body>
<h1>Keyword detection on ${escapeXml(evaluation.input)}</h1>
<p>${audio}</p>
<p>${score}</p>
${sweepSvg(evaluation)}
<h2>Threshold sweep</h2>
<table><thead><tr><th>threshold</th><th>detections</th><th>hits</th><th>misses</th><th>false alarms</th><th>recall</th><th>false alarms / h</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** Writes evaluation.json, sweep.svg and index.html into `dir` (each atomically); returns their paths. */
export function writeDetectionReport(dir: string, evaluation: DetectionEvaluation): string[] {
  const files: Array<[string, string]> = [
    ['evaluation.json', `${JSON.stringify(evaluation, null, 2)}\n`],
    ['sweep.svg', `${sweepSvg(evaluation)}\n`],
    ['index.html', sweepHtml(evaluation)],
  ];
  return files.map(([name, text]) => {
    const file = path.join(dir, name);
    writeFileAtomic(file, text);
    return file;
  });
}
