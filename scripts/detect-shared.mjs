// Keyword detection on real speech, and whether the run's stored operating point holds up on
// speakers it was not chosen on: a long stream of the run's testing-set clips (the split of its
// config.json) over the dataset's background noise, scored against its truth
//   - at the settings `kws detect` uses with no flags (the run's operating-point.json, else the defaults),
//   - at the built-in defaults,
//   - and the best recall any averaging window and threshold of the search reaches on this stream
//     at no more false alarms than the stored point makes (the target: within 5 points of it),
//   - and tflite-micro's RecognizeCommands rule (a different word may fire inside the suppression
//     interval) at the stored point.
// Float, and int8 when the run is quantised. Needs `npm run build` first.
// Usage: node scripts/detect-shared.mjs [train-dir] [data-dir] [duration-s] [out-dir]
//   defaults: runs/ds_cnn_s  ../shared/data/speech_commands_test_v0.02  1200  <train-dir>/detect
import fs from 'node:fs';
import path from 'node:path';
import { openClassifier } from '../dist/eval/classifier.js';
import { detectStream } from '../dist/detect/detector.js';
import { scoreDetections } from '../dist/detect/evaluation.js';
import { makeStream, runStreamSource } from '../dist/detect/make-stream.js';
import { HIT_TOLERANCE_MS, chooseOperatingPoint } from '../dist/detect/operating-point.js';
import { DEFAULT_POSTERIOR_SETTINGS, keywordIndices } from '../dist/detect/posteriors.js';
import { loadRunOperatingPoint, resolveOperatingPoint } from '../dist/detect/operating-point-store.js';
import { loadRunConfig } from '../dist/run/config.js';
import { RunDir } from '../dist/run/layout.js';

const trainDir = path.resolve(process.argv[2] ?? 'runs/ds_cnn_s');
const dataDir = path.resolve(process.argv[3] ?? '../shared/data/speech_commands_test_v0.02');
const durationS = Number(process.argv[4] ?? 1200);
const outDir = path.resolve(process.argv[5] ?? path.join(trainDir, 'detect'));

const dir = new RunDir(trainDir);
const run = loadRunConfig(dir);
fs.mkdirSync(outDir, { recursive: true });
const streamPath = path.join(outDir, 'stream.wav');
const stream = makeStream({
  ...runStreamSource(run),
  out: streamPath,
  dataDir,
  durationS,
  gapS: 3,
  noiseVolume: 0.1,
  seed: 1,
});
const keywordEvents = stream.truth.filter((event) => run.data.wantedWords.includes(event.word)).length;
console.log(
  `stream: ${streamPath}, ${stream.seconds} s, ${stream.placements.length} testing clips ` +
    `(${keywordEvents} keywords), background ${stream.noise}`,
);

const percent = (value) => `${(value * 100).toFixed(1)}%`;
const describe = (s) => `threshold ${s.threshold}, average ${s.averageWindowMs} ms`;

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

const kinds = fs.existsSync(dir.quantizedNetwork) ? ['float', 'int8'] : ['float'];
const summary = {};
for (const kind of kinds) {
  const classifier = await openClassifier(trainDir, { quantized: kind === 'int8' });
  const keywords = keywordIndices(classifier.labels).map((i) => classifier.labels[i]);
  const scoring = { keywords, toleranceS: HIT_TOLERANCE_MS / 1000, audioSeconds: stream.seconds };
  const detect = async (settings) => {
    const result = await detectStream(fs.createReadStream(streamPath), streamPath, classifier, {
      ...settings,
      keepTrace: true,
    });
    return { result, score: scoreDetections(result.detections, stream.truth, scoring) };
  };

  const loaded = loadRunOperatingPoint(trainDir, kind, classifier.checkpoint);
  const stored = loaded.status === 'current' ? loaded.point : undefined;
  const settings = resolveOperatingPoint({}, stored?.settings, DEFAULT_POSTERIOR_SETTINGS);
  const atStored = await detect(settings);
  const atDefaults = await detect(DEFAULT_POSTERIOR_SETTINGS);
  const best = await chooseOperatingPoint(classifier, streamPath, stream.truth, {
    targetFalseAlarmsPerHour: atStored.score.falseAlarmsPerHour,
  });
  const recognizeCommands = scoreDetections(
    recognizeCommandsDetections(
      atStored.result.trace,
      classifier.labels,
      settings.threshold,
      settings.suppressionMs / 1000,
    ),
    stream.truth,
    scoring,
  );
  const gap = best.recall - atStored.score.recall;
  summary[kind] = {
    stored: stored ?? null,
    settings,
    atStored: atStored.score,
    atDefaults: atDefaults.score,
    bestAtSameFalseAlarms: {
      settings: best.settings,
      recall: best.recall,
      falseAlarmsPerHour: best.falseAlarmsPerHour,
    },
    recognizeCommandsRule: recognizeCommands,
    realTimeFactor: atStored.result.audioSeconds / atStored.result.computeSeconds,
  };
  const source = stored
    ? `the run's point (chosen on validation for ${stored.targetFalseAlarmsPerHour}/h)`
    : `the defaults (${loaded.reason})`;
  console.log(`\n${kind}: kws detect with no flags uses ${source}: ${describe(settings)}`);
  console.log(
    `  recall ${percent(atStored.score.recall)} (${atStored.score.hits}/${atStored.score.keywordEvents}) at ` +
      `${atStored.score.falseAlarmsPerHour.toFixed(1)} false alarms/h`,
  );
  console.log(
    `  best of the search at no more false alarms: recall ${percent(best.recall)} at ` +
      `${best.falseAlarmsPerHour.toFixed(1)}/h (${describe(best.settings)}): ${(gap * 100).toFixed(1)} points ` +
      `${gap <= 0.05 + 1e-9 ? 'within' : 'OUTSIDE'} the 5-point target`,
  );
  console.log(
    `  built-in defaults (${describe(DEFAULT_POSTERIOR_SETTINGS)}): recall ${percent(atDefaults.score.recall)} at ` +
      `${atDefaults.score.falseAlarmsPerHour.toFixed(1)}/h`,
  );
  console.log(
    `  RecognizeCommands rule at the stored point: recall ${percent(recognizeCommands.recall)} at ` +
      `${recognizeCommands.falseAlarmsPerHour.toFixed(1)}/h`,
  );
  classifier.dispose();
}
fs.writeFileSync(path.join(outDir, 'operating-point-check.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\nwrote ${path.join(outDir, 'operating-point-check.json')}`);
