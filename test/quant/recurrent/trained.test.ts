/**
 * The four recurrent S presets trained briefly on generated data, through the product:
 * `quantizeTrainedRun` (kws quantize), the classifier `eval/predict/detect --quantized` open, and
 * the C it wrote, compiled with gcc -std=c99 -Wall -Wextra -Werror, giving the same int8 logits
 * on every testing clip — against the portable kernels always, against ARM's real legacy kernels
 * when ../shared has them. Then `kws firmware`'s host program of one of them detects on a stream
 * what `kws detect --quantized` detects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/audio/wav.js';
import { detectionLine } from '../../../src/cli/detections.js';
import { detectStream } from '../../../src/detect/detector.js';
import { makeStream } from '../../../src/detect/make-stream.js';
import type { PosteriorSettings } from '../../../src/detect/posteriors.js';
import { buildIndex } from '../../../src/data/dataset-index.js';
import { loadEvaluationSet } from '../../../src/data/evaluation-set.js';
import { openClassifier } from '../../../src/eval/classifier.js';
import { buildDetectorProgram, programSizes, runDetectorProgram } from '../../../src/firmware/detector-program.js';
import { loadPreset, presetFeatureConfig } from '../../../src/models/presets.js';
import { compileHarness, runHarness, skipWithoutGcc } from '../../cmsis/host.js';
import { makeTrainedRun, type TrainedRun } from '../../eval/trained-run.js';
import { skipHost } from '../../firmware/toolchain.js';
import { testStreamOptions } from '../../helpers/stream.js';
import { armLegacyPresent, compileModelAgainstArm } from './c-host.js';
import { S_PRESETS } from './models.js';

/** Low, so the briefly trained network fires on the stream. */
const OPERATING_POINT: PosteriorSettings = { averageWindowMs: 200, threshold: 0.3, suppressionMs: 500 };

const runs = new Map<string, TrainedRun>();
// ARM's kernels are compiled once, for every preset.
const armObjects = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-recurrent-arm-'));
afterAll(() =>
  [...[...runs.values()].map((run) => run.root), armObjects].forEach((root) =>
    fs.rmSync(root, { recursive: true, force: true }),
  ),
);

/** The int8 logits the C gives for `inputs`, back to back (the harness also writes the softmax). */
function logitsOf(binary: string, inputs: Int8Array, classes: number): Int8Array {
  const output = runHarness(binary, inputs, classes);
  const logits = new Int8Array(output.length * classes);
  output.forEach((row, n) => logits.set(row.logits, n * classes));
  return logits;
}

describe.skipIf(skipWithoutGcc)('recurrent S presets, trained and quantised: C and --quantized agree', () => {
  it.each(S_PRESETS)('%s: identical int8 logits on every testing clip', async (name) => {
    const preset = loadPreset(name);
    const fixture = await makeTrainedRun({
      model: {
        architecture: preset.architecture,
        modelSizeInfo: preset.modelSizeInfo,
        feature: presetFeatureConfig(preset),
      },
      steps: 4,
      backend: 'wasm',
    });
    runs.set(name, fixture);
    const classifier = await openClassifier(fixture.trainDir, { quantized: true });
    const testing = await loadEvaluationSet({
      index: buildIndex({ ...fixture.run.data, seed: fixture.run.seed }),
      set: 'testing',
      feature: fixture.run.feature,
      cacheDir: fixture.cacheDir,
    });
    const clips = testing.y.length;
    expect(clips).toBeGreaterThan(10);
    const classes = classifier.labels.length;
    const inputs = new Int8Array(clips * classifier.inputSize);
    const expected = new Int8Array(clips * classes);
    for (let n = 0; n < clips; n++) {
      const trace = classifier.trace!(testing.x.subarray(n * classifier.inputSize, (n + 1) * classifier.inputSize));
      inputs.set(trace.inputInt8, n * classifier.inputSize);
      expected.set(trace.logitsInt8, n * classes);
    }
    // Different clips must give different logits, or the comparison says little.
    const distinct = new Set(
      Array.from({ length: clips }, (_, n) => expected.subarray(n * classes, (n + 1) * classes).join()),
    );
    expect(distinct.size).toBeGreaterThan(clips / 2);
    const cDir = path.join(fixture.trainDir, 'cmsis');
    expect(logitsOf(compileHarness(cDir, preset.architecture), inputs, classes)).toEqual(expected);
    if (armLegacyPresent) {
      const arm = compileModelAgainstArm(cDir, preset.architecture, armObjects);
      expect(logitsOf(arm, inputs, classes)).toEqual(expected);
    }
    classifier.dispose();
  });

  it.skipIf(skipHost)("crnn_s: kws firmware's host program detects what kws detect --quantized does", async () => {
    const fixture = runs.get('crnn_s')!;
    const wav = path.join(fixture.root, 'stream.wav');
    makeStream(testStreamOptions(wav, fixture.dataDir, { durationS: 10, gapS: 1, noiseVolume: 0.05, seed: 3 }));
    const classifier = await openClassifier(fixture.trainDir, { quantized: true });
    const host = await detectStream(fs.createReadStream(wav), wav, classifier, OPERATING_POINT);
    const expected = host.detections.map((detection) => detectionLine(detection, undefined, true));
    expect(expected.length).toBeGreaterThan(0);
    const program = await buildDetectorProgram({
      trainDir: fixture.trainDir,
      board: 'host',
      operatingPoint: OPERATING_POINT,
    });
    const pcm = Int16Array.from(readWav(wav).samples, (v) => Math.round(v * 32768));
    const device = await runDetectorProgram(program, pcm);
    expect(device.detections.map((detection) => detectionLine(detection, undefined, true))).toEqual(expected);
    const sizes = await programSizes(program);
    expect(sizes.groups['weights']!.flash).toBeGreaterThan(70_000);
    const names = (group: string) => sizes.groups[group]!.symbols.map((symbol) => symbol.name);
    expect(names('activations and scratch')).toEqual(expect.arrayContaining(['gates', 'gru_1_h', 'step_input']));
    expect(names('network code')).toEqual(expect.arrayContaining(['kws_run', 'arm_nn_activations_direct_q15']));
  });
});
