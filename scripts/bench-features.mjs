#!/usr/bin/env node
// Feature-extraction throughput on one core: N seeded random one-second clips through one
// extractor (default 49×10 MFCC at 16 kHz). Needs a build first: `npx tsc -p tsconfig.json`.
// Usage: node scripts/bench-features.mjs [--clips N] [--rounds R] [--feature mfcc|lfbe] [--json]
import { DEFAULT_FEATURE_CONFIG } from '../dist/features/config.js';
import { createFeatureExtractor } from '../dist/features/extractor.js';
import { Random } from '../dist/random.js';

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const clipCount = Number(argument('--clips', '500'));
const rounds = Number(argument('--rounds', '5'));
const feature = argument('--feature', 'mfcc');
const json = process.argv.includes('--json');

// Seeded: the same clips on every run.
const random = new Random(12345);

const config = { ...DEFAULT_FEATURE_CONFIG, feature };
const extractor = createFeatureExtractor(config);
const clipSamples = Math.trunc((config.sampleRate * config.clipDurationMs) / 1000);
const clips = Array.from({ length: clipCount }, () => {
  const clip = new Float32Array(clipSamples);
  for (let i = 0; i < clip.length; i++) clip[i] = random.uniform(-0.5, 0.5);
  return clip;
});
const out = new Float32Array(extractor.size);

// Warm-up lets V8 optimise before timing.
for (const clip of clips.slice(0, 200)) extractor.compute(clip, out);
// Wall-clock rate, and the rate per CPU-second of this process (steadier on a shared machine).
const wallRates = [];
const cpuRates = [];
for (let round = 0; round < rounds; round++) {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const clip of clips) extractor.compute(clip, out);
  const cpu = process.cpuUsage(cpuStart);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  wallRates.push(clipCount / seconds);
  cpuRates.push(clipCount / ((cpu.user + cpu.system) / 1e6));
}
const median = (values) => Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const result = {
  feature,
  frames: extractor.frames,
  coefficients: extractor.coefficients,
  clips: clipCount,
  rounds,
  clipsPerSecond: median(wallRates),
  clipsPerSecondBest: Math.round(Math.max(...wallRates)),
  clipsPerCpuSecond: median(cpuRates),
  node: process.version,
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`${feature} ${result.frames}×${result.coefficients}, ${clipCount} clips × ${rounds} rounds, one core (${result.node})`);
  console.log(`${result.clipsPerSecond} clips/s (median; best ${result.clipsPerSecondBest}), ${result.clipsPerCpuSecond} clips per CPU-second`);
}
