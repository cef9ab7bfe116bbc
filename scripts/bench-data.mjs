#!/usr/bin/env node
/**
 * Data pipeline throughput: index time, the training batch producer alone (load once, then
 * augmentation + MFCC per clip) in process and on the worker thread, and one evaluation feature
 * pass cold (computing) and warm (from the cache).
 *
 *   npx tsc -p tsconfig.json && node scripts/bench-data.mjs [--data-dir D] [--split-salt S]
 *       [--batches 20] [--batch-size 100] [--warmup 5] [--json]
 *
 * Without --data-dir it uses ../shared/data/speech_commands_test_v0.02 when present (with salt
 * 'kws'), else a generated folder in a temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBatchSource } from '../dist/data/batch-source.js';
import { buildIndex } from '../dist/data/dataset-index.js';
import { loadEvaluationSet } from '../dist/data/evaluation-set.js';
import { generateSyntheticDataset } from '../dist/data/synthetic.js';
import { DEFAULT_FEATURE_CONFIG } from '../dist/features/config.js';

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const shared = path.resolve(repo, '../shared/data/speech_commands_test_v0.02');
const batches = Number(argument('--batches', '20'));
const batchSize = Number(argument('--batch-size', '100'));
const warmup = Number(argument('--warmup', '5'));
const json = process.argv.includes('--json');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-bench-data-'));

let dataDir = argument('--data-dir', undefined);
let splitSalt = argument('--split-salt', undefined);
if (!dataDir && fs.existsSync(shared)) {
  dataDir = shared;
  splitSalt ??= 'kws';
}
if (!dataDir) {
  dataDir = path.join(scratch, 'synthetic');
  generateSyntheticDataset({
    dir: dataDir,
    words: [...WORDS, 'cat', 'dog'],
    speakers: 30,
    clipsPerSpeaker: 1,
    seed: 1,
  });
}

const seconds = (start) => (performance.now() - start) / 1000;
const feature = { ...DEFAULT_FEATURE_CONFIG };
const augment = { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 };
const results = { dataDir, splitSalt: splitSalt ?? '', batches, batchSize };

let start = performance.now();
const index = buildIndex({
  dataDir,
  wantedWords: WORDS,
  split: 'hash',
  splitSalt: splitSalt ?? '',
  validationPercentage: 10,
  testingPercentage: 10,
  silencePercentage: 10,
  unknownPercentage: 10,
  seed: 59185,
});
results.indexSeconds = seconds(start);
results.clips = index.files.length;
results.training = index.sets.training.length;

async function producer(useWorker) {
  let started = performance.now();
  const source = await createBatchSource({ index, feature, augment, batchSize, seed: 1, useWorker, prefetch: 2 });
  const loadSeconds = seconds(started);
  // Warm-up: each thread is its own V8 isolate and optimises the feature code anew.
  for (let i = 0; i < warmup; i++) await source.next();
  started = performance.now();
  for (let i = 0; i < batches; i++) await source.next();
  const elapsed = seconds(started);
  await source.close();
  return { loadSeconds, clipsPerSecond: (batches * batchSize) / elapsed };
}
results.inProcess = await producer(false);
results.worker = await producer(true);

const cacheDir = path.join(scratch, 'cache');
const allIndex = buildIndex({ ...index.config, split: 'all' });
start = performance.now();
const cold = await loadEvaluationSet({ index: allIndex, set: 'testing', feature, cacheDir });
results.evaluationCold = { clips: cold.y.length, seconds: seconds(start), computed: cold.computed };
start = performance.now();
const warm = await loadEvaluationSet({ index: allIndex, set: 'testing', feature, cacheDir });
results.evaluationWarm = { clips: warm.y.length, seconds: seconds(start), computed: warm.computed };
fs.rmSync(scratch, { recursive: true, force: true });

if (json) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  const rate = (value) => value.toFixed(0).padStart(6);
  process.stdout.write(
    [
      `data: ${dataDir}${splitSalt ? ` (salt '${splitSalt}')` : ''}: ${results.clips} clips, ${results.training} training entries`,
      `index:                        ${results.indexSeconds.toFixed(2)} s`,
      `batch producer, in process:   ${rate(results.inProcess.clipsPerSecond)} clips/s (decode once: ${results.inProcess.loadSeconds.toFixed(2)} s)`,
      `batch producer, worker:       ${rate(results.worker.clipsPerSecond)} clips/s (decode once: ${results.worker.loadSeconds.toFixed(2)} s)`,
      `evaluation features, cold:    ${results.evaluationCold.seconds.toFixed(2)} s ` +
        `for ${results.evaluationCold.clips} clips (${results.evaluationCold.computed} computed)`,
      `evaluation features, cached:  ${results.evaluationWarm.seconds.toFixed(2)} s (${results.evaluationWarm.computed} computed)`,
      '',
    ].join('\n'),
  );
}
