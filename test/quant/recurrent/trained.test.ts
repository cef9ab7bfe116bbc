/**
 * The four recurrent S presets trained briefly on generated data, through the product:
 * `quantizeTrainedRun` (kws quantize), the classifier `eval/predict/detect --quantized` open, and
 * the C it wrote, compiled with gcc -std=c99 -Wall -Wextra -Werror, giving the same int8 logits
 * on every testing clip — against the portable kernels always, against ARM's real legacy kernels
 * when ../shared has them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../../src/data/dataset-index.js';
import { loadEvaluationSet } from '../../../src/data/evaluation-set.js';
import { openClassifier } from '../../../src/eval/classifier.js';
import { loadPreset, presetFeatureConfig } from '../../../src/models/presets.js';
import { compileHarness, runHarness, skipWithoutGcc } from '../../cmsis/host.js';
import { makeTrainedRun } from '../../eval/trained-run.js';
import { armLegacyPresent, compileModelAgainstArm } from './c-host.js';
import { S_PRESETS } from './models.js';

const roots: string[] = [];
// ARM's kernels are compiled once, for every preset.
const armObjects = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-recurrent-arm-'));
afterAll(() => [...roots, armObjects].forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

/** The int8 logits the C gives for `inputs`, back to back (the harness also writes the softmax). */
function logitsOf(binary: string, inputs: Int8Array, classes: number): Int8Array {
  const output = runHarness(binary, inputs);
  const rows = output.length / (2 * classes);
  const logits = new Int8Array(rows * classes);
  for (let n = 0; n < rows; n++) logits.set(output.subarray(2 * n * classes, (2 * n + 1) * classes), n * classes);
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
    roots.push(fixture.root);
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
});
