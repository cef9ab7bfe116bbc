// Accuracy of several runs on the same clips, each against a reference, with 95% intervals for the
// differences (Newcombe's paired interval: the clips both get right or both get wrong do not count,
// so two models on a few hundred clips can be told apart where two accuracies alone cannot).
// The first run's float model is the reference; every run's float model and, when it is quantised,
// its int8 network are compared with it, and each int8 network also with its own float model.
// The runs must share the split (their config.json's data settings). Needs `npm run build` first.
// Usage: node scripts/compare-runs.mjs <reference-train-dir> [train-dir ...] [--set validation,testing]
import fs from 'node:fs';
import path from 'node:path';
import { evaluateRun } from '../dist/eval/evaluate.js';
import { signedInterval, signedPoints } from '../dist/eval/format.js';
import { comparePaired } from '../dist/eval/paired.js';
import { loadRunConfig } from '../dist/run/config.js';
import { RunDir } from '../dist/run/layout.js';

const args = process.argv.slice(2);
const setFlag = args.indexOf('--set');
const sets = setFlag >= 0 ? args.splice(setFlag, 2)[1].split(',') : ['validation', 'testing'];
const trainDirs = args.map((dir) => path.resolve(dir));
if (trainDirs.length === 0) {
  console.error(
    'usage: node scripts/compare-runs.mjs <reference-train-dir> [train-dir ...] [--set validation,testing]',
  );
  process.exit(2);
}

const versus = (paired) =>
  `${signedPoints(paired.difference)} (${signedInterval(paired.interval)}; ` +
  `${paired.firstOnlyRight}/${paired.secondOnlyRight})`;

for (const set of sets) {
  console.log(`\n${set}: difference in points (95% interval; clips right only in this / only in the other)`);
  console.log('| run | model | accuracy | − reference float | int8 − own float |');
  console.log('| --- | --- | --- | --- | --- |');
  let reference;
  for (const trainDir of trainDirs) {
    const dir = new RunDir(trainDir);
    const kinds = fs.existsSync(dir.quantizedNetwork) ? ['float', 'int8'] : ['float'];
    const evaluation = await evaluateRun({ trainDir, run: loadRunConfig(dir), set, kinds });
    const { truth } = evaluation;
    reference ??= { truth, float: evaluation.predictions.float };
    if (truth.join() !== reference.truth.join()) throw new Error(`${trainDir}: not the reference run's ${set} clips`);
    for (const kind of kinds) {
      const againstReference =
        trainDir === trainDirs[0] && kind === 'float'
          ? '—'
          : versus(comparePaired(truth, evaluation.predictions[kind], reference.float));
      const againstOwnFloat = kind === 'int8' ? versus(evaluation.int8VersusFloat) : '';
      const accuracy = `${(evaluation[kind].accuracy * 100).toFixed(2)}%`;
      console.log(`| ${path.basename(trainDir)} | ${kind} | ${accuracy} | ${againstReference} | ${againstOwnFloat} |`);
    }
  }
}
