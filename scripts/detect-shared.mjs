// Keyword detection on real speech: a long stream built from the testing-set clips of a Speech
// Commands folder (the split of the run's own config.json, so the model never trained on them)
// over the dataset's background noise, scored against its truth at ARM/tflite-micro-like
// defaults, with the threshold sweep and the real-time factor. Needs `npm run build` first.
// Usage: node scripts/detect-shared.mjs [train-dir] [data-dir] [duration-s] [out-dir]
//   defaults: runs/ds_cnn_s  /work/shared/data/speech_commands_test_v0.02  1200  <train-dir>/detect
import fs from 'node:fs';
import path from 'node:path';
import { openClassifier } from '../dist/eval/classifier.js';
import { detectStream } from '../dist/detect/detector.js';
import { scoreDetections, thresholdSweep } from '../dist/detect/evaluation.js';
import { makeStream } from '../dist/detect/make-stream.js';
import { DEFAULT_POSTERIOR_SETTINGS, keywordIndices } from '../dist/detect/posteriors.js';
import { writeDetectionReport } from '../dist/detect/report.js';
import { quantizedNetworkPath } from '../dist/quant/store.js';
import { loadRunConfig } from '../dist/run/config.js';

const trainDir = path.resolve(process.argv[2] ?? 'runs/ds_cnn_s');
const dataDir = process.argv[3] ?? '/work/shared/data/speech_commands_test_v0.02';
const durationS = Number(process.argv[4] ?? 1200);
const outDir = path.resolve(process.argv[5] ?? path.join(trainDir, 'detect'));
const toleranceMs = 1500;

const run = loadRunConfig(trainDir);
fs.mkdirSync(outDir, { recursive: true });
const streamPath = path.join(outDir, 'stream.wav');
const stream = makeStream({
  out: streamPath,
  dataDir,
  durationS,
  gapS: 3,
  noiseVolume: 0.1,
  seed: 1,
  sampleRate: run.feature.sampleRate,
  clipDurationMs: run.feature.clipDurationMs,
  split: run.data.split,
  splitSalt: run.data.splitSalt,
  validationPercentage: run.data.validationPercentage,
  testingPercentage: run.data.testingPercentage,
});
const perWord = {};
for (const p of stream.placements) perWord[p.word] = (perWord[p.word] ?? 0) + 1;
const distinctClips = new Set(stream.placements.map((p) => p.file)).size;
console.log(
  `stream: ${streamPath}, ${stream.seconds} s, ${stream.placements.length} clips (${distinctClips} distinct testing-set files), background ${stream.noise}`,
);
console.log(`  per word: ${JSON.stringify(perWord)}`);

const kinds = [{ name: 'float', quantized: false }];
if (fs.existsSync(quantizedNetworkPath(trainDir))) kinds.push({ name: 'int8', quantized: true });
for (const kind of kinds) {
  const classifier = await openClassifier(trainDir, { quantized: kind.quantized, backend: 'auto' });
  const result = await detectStream(
    fs.createReadStream(streamPath, { highWaterMark: 1 << 16 }),
    streamPath,
    classifier,
    {
      ...DEFAULT_POSTERIOR_SETTINGS,
      keepTrace: true,
    },
  );
  const labels = classifier.labels;
  const keywords = keywordIndices(labels).map((i) => labels[i]);
  const scoring = { keywords, toleranceS: toleranceMs / 1000, audioSeconds: result.audioSeconds };
  const atThreshold = scoreDetections(result.detections, stream.truth, scoring);
  const sweep = thresholdSweep(result.trace, labels, stream.truth, {
    ...scoring,
    suppressionS: DEFAULT_POSTERIOR_SETTINGS.suppressionMs / 1000,
  });
  const evaluation = {
    input: streamPath,
    audioSeconds: result.audioSeconds,
    threshold: DEFAULT_POSTERIOR_SETTINGS.threshold,
    toleranceMs,
    atThreshold,
    sweep,
  };
  const files = writeDetectionReport(path.join(outDir, `report-${kind.name}`), evaluation);
  const backend = classifier.backend ? `${classifier.backend.name} backend` : 'integer simulator';
  console.log(
    `\n${kind.name} model (${backend}), defaults ${JSON.stringify(DEFAULT_POSTERIOR_SETTINGS)}, tolerance ${toleranceMs} ms:`,
  );
  console.log(
    `  recall ${(atThreshold.recall * 100).toFixed(1)}% (${atThreshold.hits}/${atThreshold.keywordEvents}), ` +
      `${atThreshold.falseAlarms} false alarms = ${atThreshold.falseAlarmsPerHour.toFixed(1)}/h, ` +
      `real-time factor ${(result.audioSeconds / result.computeSeconds).toFixed(1)} ` +
      `(${result.computeSeconds.toFixed(1)} s for ${result.audioSeconds} s, ${result.windows} windows)`,
  );
  for (const p of sweep.filter((q) => [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].includes(q.threshold))) {
    console.log(
      `  threshold ${p.threshold.toFixed(2)}: recall ${(p.recall * 100).toFixed(1)}%, ${p.falseAlarmsPerHour.toFixed(1)} false alarms/h`,
    );
  }
  console.log(`  report: ${files.join(', ')}`);
  classifier.dispose();
}
