// Keyword detection on real speech, and whether the run's stored operating point holds up on
// speakers it was not chosen on: a long stream of the run's testing-set clips (the split of its
// config.json) over the dataset's background noise, scored against its truth
//   - at the settings `kws detect` uses with no flags (the run's operating-point.json, else the defaults),
//   - at the built-in defaults,
//   - and the best recall any averaging window and threshold of the search reaches on this stream
//     at no more false alarms than the stored point makes (the target: within 5 points of it),
//   - and tflite-micro's RecognizeCommands rule (a different word may fire inside the suppression
//     interval) at the stored point.
// Float, and int8 when the run is quantised. With several streams (the same clips in other orders
// over other noise, seeds 1…N) it says on how many the stored point is within 5 points of the best,
// and how close the one point best for all of them (chosen knowing them) comes: the floor any rule
// that chooses one point can reach on this data. Needs `npm run build` first.
// Usage: node scripts/detect-shared.mjs [train-dir] [data-dir] [duration-s] [out-dir] [streams]
//   defaults: runs/ds_cnn_s  ../shared/data/speech_commands_test_v0.02  1200  <train-dir>/detect  1
import fs from 'node:fs';
import path from 'node:path';
import { openClassifier } from '../dist/eval/classifier.js';
import { detectStream } from '../dist/detect/detector.js';
import { scoreDetections } from '../dist/detect/evaluation.js';
import { makeStream, runStreamSource } from '../dist/detect/make-stream.js';
import { HIT_TOLERANCE_MS, choosePoint, sweepCandidatePoints } from '../dist/detect/operating-point.js';
import { DEFAULT_POSTERIOR_SETTINGS, keywordIndices } from '../dist/detect/posteriors.js';
import { loadRunOperatingPoint, resolveOperatingPoint } from '../dist/detect/operating-point-store.js';
import { loadRunConfig } from '../dist/run/config.js';
import { RunDir } from '../dist/run/layout.js';

const trainDir = path.resolve(process.argv[2] ?? 'runs/ds_cnn_s');
const dataDir = path.resolve(process.argv[3] ?? '../shared/data/speech_commands_test_v0.02');
const durationS = Number(process.argv[4] ?? 1200);
const outDir = path.resolve(process.argv[5] ?? path.join(trainDir, 'detect'));
const streamCount = Number(process.argv[6] ?? 1);
const TARGET_GAP = 0.05;

const dir = new RunDir(trainDir);
const run = loadRunConfig(dir);
fs.mkdirSync(outDir, { recursive: true });
const streams = Array.from({ length: streamCount }, (_, i) => {
  const seed = i + 1;
  const stream = makeStream({
    ...runStreamSource(run),
    out: path.join(outDir, seed === 1 ? 'stream.wav' : `stream-${seed}.wav`),
    dataDir,
    durationS,
    gapS: 3,
    noiseVolume: 0.1,
    seed,
  });
  const keywordEvents = stream.truth.filter((event) => run.data.wantedWords.includes(event.word)).length;
  console.log(
    `stream ${seed}: ${stream.wavPath}, ${stream.seconds} s, ${stream.placements.length} testing clips ` +
      `(${keywordEvents} keywords), background ${stream.noise}`,
  );
  return stream;
});

const percent = (value) => `${(value * 100).toFixed(1)}%`;
const points = (value) => `${(value * 100).toFixed(1)} points`;
const describe = (s) => `threshold ${s.threshold}, average ${s.averageWindowMs} ms`;
const sameSettings = (a, b) =>
  a.averageWindowMs === b.averageWindowMs &&
  a.threshold === b.threshold &&
  a.hopMs === b.hopMs &&
  a.suppressionMs === b.suppressionMs;

/** tflite-micro's RecognizeCommands gate: a different word may fire inside the suppression interval. */
function recognizeCommandsDetections(trace, labels, threshold, suppressionS) {
  const detections = [];
  let last;
  for (let k = 0; k < trace.length; k++) {
    const timeS = trace.firstTimeS + k * trace.hopS;
    const label = labels[trace.keyword[k]];
    if (trace.score[k] < threshold) continue;
    if (last && last.label === label && timeS - last.timeS < suppressionS - 1e-9) continue;
    last = { timeS, label };
    detections.push({ timeS, label, score: trace.score[k] });
  }
  return detections;
}

/**
 * The one candidate point best for every stream at once, chosen knowing them: the smallest largest
 * gap to each stream's best at its own false-alarm count, among points that make no more false alarms
 * in total than the stored point.
 */
function bestCommonPoint(sweeps, falseAlarmBudget) {
  // Each stream's best recall at a false-alarm count, chosen once per count.
  const bestRecalls = sweeps.map(() => new Map());
  const bestRecall = (s, falseAlarms) => {
    const known = bestRecalls[s].get(falseAlarms);
    if (known !== undefined) return known;
    const recall = choosePoint(sweeps[s], (falseAlarms * 3600) / sweeps[s].streamSeconds).recall;
    bestRecalls[s].set(falseAlarms, recall);
    return recall;
  };
  let best;
  sweeps[0].points.forEach((_, i) => {
    const cells = sweeps.map((sweep, s) => {
      const point = sweep.points[i];
      return { point, gap: bestRecall(s, point.falseAlarms) - point.recall };
    });
    if (cells.some(({ point }) => point.recall === 0)) return;
    if (cells.reduce((total, { point }) => total + point.falseAlarms, 0) > falseAlarmBudget) return;
    const largestGap = Math.max(...cells.map((cell) => cell.gap));
    if (!best || largestGap < best.largestGap) best = { settings: cells[0].point.settings, largestGap, cells };
  });
  return best;
}

const kinds = fs.existsSync(dir.quantizedNetwork) ? ['float', 'int8'] : ['float'];
const summary = {};
for (const kind of kinds) {
  const classifier = await openClassifier(trainDir, { quantized: kind === 'int8' });
  const keywords = keywordIndices(classifier.labels).map((i) => classifier.labels[i]);
  const loaded = loadRunOperatingPoint(trainDir, kind, classifier.checkpoint);
  const stored = loaded.status === 'current' ? loaded.point : undefined;
  const settings = resolveOperatingPoint({}, stored?.settings, DEFAULT_POSTERIOR_SETTINGS);
  const source = stored
    ? `the run's point (chosen on validation for ${stored.targetFalseAlarmsPerHour}/h)`
    : `the defaults (${loaded.reason})`;
  console.log(`\n${kind}: kws detect with no flags uses ${source}: ${describe(settings)}`);

  const results = [];
  const sweeps = [];
  for (const [i, stream] of streams.entries()) {
    const scoring = { keywords, toleranceS: HIT_TOLERANCE_MS / 1000, audioSeconds: stream.seconds };
    const atStored = await detectStream(fs.createReadStream(stream.wavPath), stream.wavPath, classifier, {
      ...settings,
      keepTrace: true,
    });
    const storedScore = scoreDetections(atStored.detections, stream.truth, scoring);
    const sweep = await sweepCandidatePoints(classifier, stream.wavPath, stream.truth);
    const best = choosePoint(sweep, storedScore.falseAlarmsPerHour);
    const defaults = sweep.points.find((point) =>
      sameSettings(point.settings, { ...DEFAULT_POSTERIOR_SETTINGS, hopMs: sweep.points[0].settings.hopMs }),
    );
    const recognizeCommands = scoreDetections(
      recognizeCommandsDetections(atStored.trace, classifier.labels, settings.threshold, settings.suppressionMs / 1000),
      stream.truth,
      scoring,
    );
    const gap = best.recall - storedScore.recall;
    results.push({
      stream: stream.wavPath,
      atStored: storedScore,
      atDefaults: defaults && { recall: defaults.recall, falseAlarmsPerHour: defaults.falseAlarmsPerHour },
      bestAtSameFalseAlarms: {
        settings: best.settings,
        recall: best.recall,
        falseAlarmsPerHour: best.falseAlarmsPerHour,
      },
      gap,
      recognizeCommandsRule: recognizeCommands,
      realTimeFactor: atStored.audioSeconds / atStored.computeSeconds,
    });
    sweeps.push(sweep);
    console.log(
      `  stream ${i + 1}: recall ${percent(storedScore.recall)} (${storedScore.hits}/${storedScore.keywordEvents}) at ` +
        `${storedScore.falseAlarmsPerHour.toFixed(1)} false alarms/h; best of the search at no more: ` +
        `${percent(best.recall)} (${describe(best.settings)}): ${points(gap)} ` +
        `${gap <= TARGET_GAP + 1e-9 ? 'within' : 'OUTSIDE'} the 5-point target`,
    );
    if (defaults)
      console.log(
        `    built-in defaults (${describe(DEFAULT_POSTERIOR_SETTINGS)}): recall ${percent(defaults.recall)} at ` +
          `${defaults.falseAlarmsPerHour.toFixed(1)}/h; RecognizeCommands rule at the stored point: recall ` +
          `${percent(recognizeCommands.recall)} at ${recognizeCommands.falseAlarmsPerHour.toFixed(1)}/h`,
      );
  }
  const within = results.filter((result) => result.gap <= TARGET_GAP + 1e-9).length;
  const common = bestCommonPoint(
    sweeps,
    results.reduce((total, result) => total + result.atStored.falseAlarms, 0),
  );
  if (streams.length > 1) {
    console.log(
      `  within 5 points on ${within} of ${streams.length} streams, mean gap ` +
        `${points(results.reduce((total, result) => total + result.gap, 0) / results.length)}`,
    );
    if (common)
      console.log(
        `  the one point best for all ${streams.length} streams, chosen knowing them (${describe(common.settings)}): ` +
          `largest gap ${points(common.largestGap)}`,
      );
  }
  summary[kind] = {
    stored: stored ?? null,
    settings,
    streams: results,
    withinTarget: within,
    bestCommonPoint: common ? { settings: common.settings, largestGap: common.largestGap } : null,
  };
  classifier.dispose();
}
fs.writeFileSync(path.join(outDir, 'operating-point-check.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\nwrote ${path.join(outDir, 'operating-point-check.json')}`);
