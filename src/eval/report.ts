/**
 * `kws eval --report DIR`: one self-contained HTML page (inline CSS and SVG, nothing fetched) with
 * the accuracy, the confusion heat-map, per-class figures, the training curves and the model's
 * cost, float beside int8 when the run is quantised; plus the charts as standalone SVG files.
 */
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { validateFeatureConfig, type FeatureConfig } from '../features/config.js';
import { kilobytes, profileModel, type ModelProfile } from '../models/profile.js';
import type { Architecture } from '../models/registry.js';
import { readLog, type LogRow } from '../run/log.js';
import type { RunConfig } from '../run/config.js';
import { RunDir } from '../run/layout.js';
import { confusionHeatmapSvg, escapeXml, trainingCurvesSvg } from './charts.js';
import type { Evaluation, ModelKind } from './evaluate.js';
import { percent, signedInterval, signedPoints } from './format.js';
import type { Metrics } from '../metrics.js';

export interface ReportData {
  trainDir: string;
  evaluation: Evaluation;
  checkpoint: string;
  architecture: string;
  modelSizeInfo: readonly number[];
  preset?: string;
  feature: FeatureConfig;
  dataDir: string;
  profile: ModelProfile;
  log: readonly LogRow[];
  generatedAt: Date;
  /** The command line that made the report, shown at the foot. */
  command?: string;
}

export const REPORT_FILE = 'index.html';
export const CURVES_FILE = 'training-curves.svg';

export function heatmapFile(kind: ModelKind): string {
  return `confusion-${kind}.svg`;
}

const KIND_NAMES: Record<ModelKind, string> = { float: 'float32 (tfjs)', int8: 'int8 (CMSIS-NN simulator)' };

function evaluated(evaluation: Evaluation): Array<{ kind: ModelKind; metrics: Metrics }> {
  return (['float', 'int8'] as const).flatMap((kind) =>
    evaluation[kind] ? [{ kind, metrics: evaluation[kind] }] : [],
  );
}

function heatmapTitle(kind: ModelKind, data: ReportData): string {
  return `Confusion matrix, ${KIND_NAMES[kind]}, ${data.evaluation.set} set`;
}

const count = (value: number) => value.toLocaleString('en-US');

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933; background: #f5f7fa; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.sub { color: #616e7c; margin: 0 0 20px; }
section { background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 18px 20px; margin-bottom: 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 18px; }
.card { flex: 1 1 150px; background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 12px 16px; }
.card .value { font-size: 26px; font-weight: 650; }
.card .label { color: #616e7c; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.good { color: #047857; } .bad { color: #b91c1c; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; align-items: start; }
svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e4e7eb; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { color: #616e7c; font-weight: 600; font-size: 12px; border-bottom: 2px solid #cbd2d9; }
tbody tr:hover { background: #f5f7fa; }
tfoot td { font-weight: 600; border-top: 2px solid #cbd2d9; }
.group { border-left: 2px solid #e4e7eb; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: #616e7c; } dd { margin: 0; }
footer { color: #7b8794; font-size: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
`;

function cards(data: ReportData): string {
  const results = evaluated(data.evaluation);
  const items: Array<[string, string, string?]> = results.map(({ kind, metrics }) => [
    `${kind} accuracy`,
    percent(metrics.accuracy),
  ]);
  const paired = data.evaluation.int8VersusFloat;
  if (paired) {
    items.push([
      'int8 − float (95% interval)',
      `${signedPoints(paired.difference)} pt (${signedInterval(paired.interval)})`,
      paired.difference >= 0 ? 'good' : 'bad',
    ]);
  }
  items.push(
    ['clips', count(data.evaluation.n)],
    ['memory', `${kilobytes(data.profile.memoryBytes).toFixed(1)} KB`],
    ['ops / inference', `${(data.profile.ops / 1e6).toFixed(2)} M`],
  );
  return `<div class="cards">${items
    .map(
      ([label, value, tone]) =>
        `<div class="card"><div class="label">${escapeXml(label)}</div><div class="value${tone ? ` ${tone}` : ''}">${escapeXml(value)}</div></div>`,
    )
    .join('')}</div>`;
}

function classTable(data: ReportData): string {
  const results = evaluated(data.evaluation);
  const { labels } = data.evaluation;
  const both = results.length === 2;
  const head =
    `<tr><th rowspan="${both ? 2 : 1}">label</th><th rowspan="${both ? 2 : 1}">support</th>` +
    (both
      ? results.map(({ kind }) => `<th colspan="3" class="group">${escapeXml(KIND_NAMES[kind])}</th>`).join('') +
        '<th rowspan="2" class="group">Δ F1</th></tr><tr>'
      : '') +
    results.map(() => '<th class="group">precision</th><th>recall</th><th>F1</th>').join('') +
    '</tr>';
  const cell = (value: number) => `<td>${percent(value, 1)}</td>`;
  const deltaCell = (delta: number) => {
    const tone = delta > 0.0005 ? 'good' : delta < -0.0005 ? 'bad' : '';
    return `<td class="group ${tone}">${signedPoints(delta, 1)}</td>`;
  };
  const body = labels
    .map((label, i) => {
      const figures = results
        .map(({ metrics }) => {
          const c = metrics.perClass[i]!;
          return `<td class="group">${percent(c.precision, 1)}</td>${cell(c.recall)}${cell(c.f1)}`;
        })
        .join('');
      const delta = both ? deltaCell(results[1]!.metrics.perClass[i]!.f1 - results[0]!.metrics.perClass[i]!.f1) : '';
      return `<tr><td>${escapeXml(label)}</td><td>${count(results[0]!.metrics.perClass[i]!.support)}</td>${figures}${delta}</tr>`;
    })
    .join('');
  const macro = (metrics: Metrics, key: 'precision' | 'recall' | 'f1') =>
    metrics.perClass.reduce((sum, c) => sum + c[key], 0) / metrics.perClass.length;
  const foot =
    `<tr><td>macro average</td><td>${count(data.evaluation.n)}</td>` +
    results
      .map(
        ({ metrics }) =>
          `<td class="group">${percent(macro(metrics, 'precision'), 1)}</td>${cell(macro(metrics, 'recall'))}${cell(macro(metrics, 'f1'))}`,
      )
      .join('') +
    (both ? deltaCell(macro(results[1]!.metrics, 'f1') - macro(results[0]!.metrics, 'f1')) : '') +
    '</tr>';
  return `<table><thead>${head}</thead><tbody>${body}</tbody><tfoot>${foot}</tfoot></table>`;
}

function modelSection(data: ReportData): string {
  const { profile } = data;
  const fits = profile.fits ? `${profile.fits} class` : 'none of S, M, L';
  const layers = profile.layers
    .map(
      (l) =>
        `<tr><td>${escapeXml(l.name)}</td><td>${count(l.params)}</td><td>${count(l.weights)}</td>` +
        `<td>${count(l.macs)}</td><td>${count(l.activations)}</td></tr>`,
    )
    .join('');
  const { frames, coefficients } = profile.spec;
  const input =
    `${frames} frames × ${coefficients} ${escapeXml(data.feature.feature)} coefficients ` +
    `(${data.feature.windowSizeMs} ms window, ${data.feature.windowStrideMs} ms stride)`;
  return `<div class="pair"><dl>
<dt>architecture</dt><dd>${escapeXml(`${data.architecture} ${data.modelSizeInfo.join(' ')}`)}${data.preset ? ` (preset ${escapeXml(data.preset)})` : ''}</dd>
<dt>input</dt><dd>${input}</dd>
<dt>parameters</dt><dd>${count(profile.params)}</dd>
<dt>weights</dt><dd>${count(profile.weightBytes)} B int8 (batch norm folded)</dd>
<dt>activations</dt><dd>${count(profile.activationBytes)} B int8</dd>
<dt>memory</dt><dd>${kilobytes(profile.memoryBytes).toFixed(1)} KB</dd>
<dt>ops per inference</dt><dd>${(profile.ops / 1e6).toFixed(2)} M (2 × ${count(profile.macs)} MACs)</dd>
<dt>fits</dt><dd>${fits}</dd>
</dl><table><thead><tr><th>layer</th><th>params</th><th>int8 weights</th><th>MACs</th><th>activations</th></tr></thead><tbody>${layers}</tbody></table></div>`;
}

export function renderReportHtml(data: ReportData): string {
  const { evaluation } = data;
  const results = evaluated(evaluation);
  const heatmaps = results
    .map(({ kind, metrics }) => confusionHeatmapSvg(metrics.confusion, evaluation.labels, heatmapTitle(kind, data)))
    .join('');
  const curves =
    data.log.length > 0
      ? trainingCurvesSvg(data.log)
      : '<p class="sub">No training log (train-log.jsonl) in this run.</p>';
  const title = `kws eval: ${data.architecture} ${data.modelSizeInfo.join(' ')} on the ${evaluation.set} set`;
  const generatedAt = data.generatedAt.toISOString().replace('T', ' ').slice(0, 19);
  const subtitle =
    `${escapeXml(data.trainDir)} · ${escapeXml(data.checkpoint)} checkpoint · ` +
    `${count(evaluation.n)} clips from ${escapeXml(data.dataDir)} · ${escapeXml(generatedAt)} UTC`;
  const confusionNote =
    'Rows are the true label, columns the prediction; colour is the share of the row (blue: right, red: wrong).';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeXml(title)}</h1>
<p class="sub">${subtitle}</p>
${cards(data)}
<section><h2>Confusion matrix</h2><p class="sub">${confusionNote}</p><div class="pair">${heatmaps}</div></section>
<section><h2>Per class</h2>${classTable(data)}</section>
<section><h2>Training</h2>${curves}</section>
<section><h2>Model</h2>${modelSection(data)}</section>
<footer>${data.command ? `<code>${escapeXml(data.command)}</code> · ` : ''}generated by kws</footer>
</main></body></html>
`;
}

/** The report of an evaluation of a training run: its model's cost and training log come from the run. */
export function writeRunReport(
  dir: string,
  trainDir: string,
  run: RunConfig,
  evaluation: Evaluation,
  command?: string,
): string[] {
  const { frames, coefficients } = validateFeatureConfig(run.feature);
  return writeReport(dir, {
    trainDir,
    evaluation,
    checkpoint: evaluation.checkpoint,
    architecture: run.architecture,
    modelSizeInfo: run.modelSizeInfo,
    preset: run.preset,
    feature: run.feature,
    dataDir: run.data.dataDir,
    profile: profileModel({
      architecture: run.architecture as Architecture,
      modelSizeInfo: run.modelSizeInfo,
      frames,
      coefficients,
      labelCount: evaluation.labels.length,
    }),
    log: readLog(new RunDir(trainDir)),
    generatedAt: new Date(),
    command,
  });
}

/** Writes the page and the standalone SVGs into `dir` (each file atomically); returns their paths. */
export function writeReport(dir: string, data: ReportData): string[] {
  const files: Array<[string, string]> = evaluated(data.evaluation).map(({ kind, metrics }) => [
    heatmapFile(kind),
    confusionHeatmapSvg(metrics.confusion, data.evaluation.labels, heatmapTitle(kind, data)),
  ]);
  if (data.log.length > 0) files.push([CURVES_FILE, trainingCurvesSvg(data.log)]);
  files.push([REPORT_FILE, renderReportHtml(data)]);
  return files.map(([name, content]) => {
    const target = path.join(dir, name);
    writeFileAtomic(target, name.endsWith('.svg') ? `<?xml version="1.0" encoding="UTF-8"?>\n${content}\n` : content);
    return target;
  });
}
