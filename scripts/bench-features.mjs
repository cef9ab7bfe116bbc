#!/usr/bin/env node
// Feature-extraction throughput on one core: N seeded random one-second clips through one
// extractor per FFT engine (default 49×10 MFCC at 16 kHz). Rounds alternate between the
// engines so both see the same machine; the ratio is the steady figure on a noisy machine.
// Needs a build first: `npx tsc -p tsconfig.json`.
// Usage: node scripts/bench-features.mjs [--clips N] [--rounds R] [--feature mfcc|lfbe] [--engine wasm|js|both] [--json]
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
const engineArgument = argument('--engine', 'both');
const engines = engineArgument === 'both' ? ['wasm', 'js'] : [engineArgument];
const json = process.argv.includes('--json');

// Seeded: the same clips on every run.
const random = new Random(12345);

const config = { ...DEFAULT_FEATURE_CONFIG, feature };
const extractors = engines.map((engine) => createFeatureExtractor(config, engine));
const clipSamples = Math.trunc((config.sampleRate * config.clipDurationMs) / 1000);
const clips = Array.from({ length: clipCount }, () => {
  const clip = new Float32Array(clipSamples);
  for (let i = 0; i < clip.length; i++) clip[i] = random.uniform(-0.5, 0.5);
  return clip;
});
const out = new Float32Array(extractors[0].size);

// Warm-up lets V8 optimise before timing.
for (const extractor of extractors) for (const clip of clips.slice(0, 200)) extractor.compute(clip, out);
// Wall-clock rate, and the rate per CPU-second of this process (steadier on a shared machine).
const wallRates = extractors.map(() => []);
const cpuRates = extractors.map(() => []);
for (let round = 0; round < rounds; round++) {
  extractors.forEach((extractor, e) => {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (const clip of clips) extractor.compute(clip, out);
    const cpu = process.cpuUsage(cpuStart);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    wallRates[e].push(clipCount / seconds);
    cpuRates[e].push(clipCount / ((cpu.user + cpu.system) / 1e6));
  });
}
const median = (values) => Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const result = {
  feature,
  frames: extractors[0].frames,
  coefficients: extractors[0].coefficients,
  clips: clipCount,
  rounds,
  node: process.version,
  engines: Object.fromEntries(
    extractors.map((extractor, e) => [
      extractor.engine,
      {
        clipsPerSecond: median(wallRates[e]),
        clipsPerSecondBest: Math.round(Math.max(...wallRates[e])),
        clipsPerCpuSecond: median(cpuRates[e]),
      },
    ]),
  ),
};
if (engines.length === 2)
  result.wasmOverJs = Number((result.engines.wasm.clipsPerSecond / result.engines.js.clipsPerSecond).toFixed(2));
if (json) console.log(JSON.stringify(result));
else {
  console.log(
    `${feature} ${result.frames}×${result.coefficients}, ${clipCount} clips × ${rounds} rounds per engine, one core (${result.node})`,
  );
  for (const [engine, rates] of Object.entries(result.engines)) {
    console.log(
      `${engine.padEnd(5)} ${rates.clipsPerSecond} clips/s (median; best ${rates.clipsPerSecondBest}), ${rates.clipsPerCpuSecond} clips per CPU-second`,
    );
  }
  if (result.wasmOverJs) console.log(`wasm / js: ${result.wasmOverJs}×`);
}
