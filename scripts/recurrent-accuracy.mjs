#!/usr/bin/env node
// Float against int8 accuracy of trained recurrent runs (basic_lstm, lstm, gru, crnn) through the
// recurrent quantisation pipeline (src/quant/recurrent), as library calls: per run and calibration
// method, quantise on a seeded sample of the training split, then evaluate the float model (tfjs),
// the float model fed the int8 input features (how much of the loss is MFCC_DEC_BITS alone) and the
// int8 network (the bit-exact simulator) on the validation and testing splits. For the
// first method it also emits the C, compiles it with gcc -std=c99 -Wall -Wextra -Werror against
// the portable kernels (and ARM's legacy kernels when ../shared has them) and checks that it gives
// the simulator's int8 logits on every testing clip.
// Needs a build: `npm run build`, or `--dist DIR` for one made with
// `npx tsc -p tsconfig.json --outDir DIR` (DIR's parent needs a package.json with "type": "module",
// node_modules and models).
// Usage: node scripts/recurrent-accuracy.mjs --train-dir RUN [--train-dir RUN …] [--dist DIR]
//          [--methods search,max,percentile] [--calibration-size 1000] [--cache-dir DIR] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

function fail(message, code = 1) {
  console.error(`recurrent-accuracy: ${message}`);
  process.exit(code);
}

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.resolve(repo, argument('--dist', 'dist'));
const trainDirs = process.argv
  .flatMap((arg, i) => (arg === '--train-dir' ? [process.argv[i + 1]] : []))
  .filter(Boolean);
if (trainDirs.length === 0) fail('give at least one --train-dir RUN', 2);
const methods = argument('--methods', 'search,max,percentile').split(',');
const calibrationSize = Number(argument('--calibration-size', '1000'));
const cacheDir = argument('--cache-dir');
const json = process.argv.includes('--json');
const cmsisDir = path.join(repo, 'src/firmware/cmsis-nn');
const harness = path.join(repo, 'test/cmsis/harness.c');
const armLegacy = path.resolve(repo, '../shared/third_party/cmsis-nn-legacy');
const armPresent = fs.existsSync(path.join(armLegacy, 'Include/arm_nnfunctions.h'));

const load = (module) => import(pathToFileURL(path.join(dist, module)).href);
const { initBackend } = await load('backend/index.js');
const { buildIndex } = await load('data/dataset-index.js');
const { loadEvaluationSet } = await load('data/evaluation-set.js');
const { featureGeometry } = await load('features/config.js');
const { quantizeFeatures } = await load('features/quantize.js');
const { argmax, argmaxRows } = await load('metrics.js');
const { predictLogits } = await load('models/inference.js');
const { loadModelFiles } = await load('models/io.js');
const { sampleRows } = await load('quant/run.js');
const { createRecurrentClassifier } = await load('quant/recurrent/classifier.js');
const { createRecurrentFloatForward } = await load('quant/recurrent/float-network.js');
const { foldRecurrentModel } = await load('quant/recurrent/fold.js');
const { emitRecurrentC } = await load('quant/recurrent/emit-c.js');
const { quantizeRecurrentModel } = await load('quant/recurrent/quantize.js');
const { createRecurrentSimulator } = await load('quant/recurrent/simulate.js');
const { loadRunConfig } = await load('run/config.js');
const { RunDir } = await load('run/layout.js');

await initBackend('cpu');

function accuracy(predicted, truth) {
  let correct = 0;
  for (let n = 0; n < truth.length; n++) if (predicted[n] === truth[n]) correct++;
  return correct / truth.length;
}

function floatPredictions(model, x, inputSize, labelCount) {
  return argmaxRows(predictLogits(model, x, inputSize, labelCount), labelCount);
}

/** The folded float network's classes for the features as the device's front end rounds them. */
function roundedInputPredictions(forward, x, inputFrac, inputSize) {
  const rounded = Float32Array.from(quantizeFeatures(x, inputFrac), (v) => v / 2 ** inputFrac);
  const rows = x.length / inputSize;
  return Int32Array.from({ length: rows }, (_, n) =>
    argmax(forward.run(rounded.subarray(n * inputSize, (n + 1) * inputSize))),
  );
}

/** The ARM legacy sources the emitted recurrent C and the harness need, compiled as ARM's (no -Werror). */
const ARM_SOURCES = [
  'ConvolutionFunctions/arm_convolve_HWC_q7_basic_nonsquare.c',
  'FullyConnectedFunctions/arm_fully_connected_q7.c',
  'FullyConnectedFunctions/arm_fully_connected_mat_q7_vec_q15.c',
  'ActivationFunctions/arm_nn_activations_q15.c',
  'ActivationFunctions/arm_relu_q7.c',
  'NNSupportFunctions/arm_nntables.c',
  'NNSupportFunctions/arm_nn_mult_q15.c',
  'NNSupportFunctions/arm_q7_to_q15_no_shift.c',
  'NNSupportFunctions/arm_q7_to_q15_reordered_no_shift.c',
  'SoftmaxFunctions/arm_softmax_q7.c',
];
const HOST_INTRINSICS = `#include <stdint.h>
static inline int32_t __SSAT(int32_t v, uint32_t b) { const int32_t m = (int32_t)((1u << (b - 1u)) - 1u); return v > m ? m : v < -1 - m ? -1 - m : v; }
static inline uint32_t __USAT(int32_t v, uint32_t b) { const int32_t m = (int32_t)((1u << b) - 1u); return (uint32_t)(v > m ? m : v < 0 ? 0 : v); }
`;
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1'];

/** Builds the harness against the portable kernels, or ARM's; returns the binary. */
function build(outDir, architecture, kernels) {
  const binary = path.join(outDir, `harness-${kernels}`);
  const model = [`-DKWS_MODEL_HEADER="${architecture}.h"`, '-I', outDir];
  if (kernels === 'portable') {
    execFileSync('gcc', [
      ...STRICT,
      ...model,
      '-I',
      cmsisDir,
      path.join(outDir, `${architecture}.c`),
      path.join(cmsisDir, 'arm_nnfunctions.c'),
      harness,
      '-o',
      binary,
    ]);
    return binary;
  }
  const intrinsics = path.join(outDir, 'host_intrinsics.h');
  fs.writeFileSync(intrinsics, HOST_INTRINSICS);
  const host = [
    '-D__GNUC_PYTHON__',
    '-D__RESTRICT=__restrict',
    '-include',
    intrinsics,
    '-I',
    path.join(armLegacy, 'Include'),
  ];
  const objects = ARM_SOURCES.map((source) => {
    const object = path.join(outDir, `${path.basename(source, '.c')}.o`);
    execFileSync('gcc', ['-std=c99', '-O1', '-w', ...host, '-c', path.join(armLegacy, 'Source', source), '-o', object]);
    return object;
  });
  execFileSync('gcc', [
    ...STRICT,
    ...host,
    ...model,
    path.join(outDir, `${architecture}.c`),
    harness,
    ...objects,
    '-o',
    binary,
  ]);
  return binary;
}

/** Testing clips whose C logits differ from the simulator's. */
function cMismatches(binary, network, inputs) {
  const simulator = createRecurrentSimulator(network);
  const size = network.frames * network.coefficients;
  const classes = network.labels.length;
  const result = spawnSync(binary, { input: inputs, maxBuffer: 1 << 26 });
  if (result.status !== 0) fail(`${binary} exited with ${result.status}`);
  let mismatches = 0;
  for (let n = 0; n < inputs.length / size; n++) {
    const logits = simulator.run(inputs.subarray(n * size, (n + 1) * size));
    const fromC = result.stdout.subarray(n * 2 * classes, n * 2 * classes + classes);
    if (!logits.every((v, k) => v === (fromC[k] << 24) >> 24)) mismatches++;
  }
  return mismatches;
}

for (const trainDir of trainDirs) {
  const dir = new RunDir(path.resolve(trainDir));
  const run = loadRunConfig(dir);
  const { frames, coefficients } = featureGeometry(run.feature);
  const inputSize = frames * coefficients;
  const labelCount = run.labels.length;
  const index = buildIndex({ ...run.data, seed: run.seed });
  const sets = {};
  for (const set of ['training', 'validation', 'testing'])
    sets[set] = await loadEvaluationSet({ index, set, feature: run.feature, cacheDir });
  const calibration = sampleRows(sets.training, inputSize, calibrationSize, run.seed);
  const model = await loadModelFiles(dir.checkpoint('best').dir, { labels: labelCount, from: dir.config });
  const float = {
    validation: accuracy(floatPredictions(model, sets.validation.x, inputSize, labelCount), sets.validation.y),
    testing: accuracy(floatPredictions(model, sets.testing.x, inputSize, labelCount), sets.testing.y),
  };
  const forward = createRecurrentFloatForward(foldRecurrentModel(model, run));
  for (const method of methods) {
    const start = Date.now();
    const { network, report } = quantizeRecurrentModel({ model, description: run, calibration, method });
    const seconds = (Date.now() - start) / 1000;
    const classifier = createRecurrentClassifier(network);
    const roundedInput = (set) =>
      accuracy(roundedInputPredictions(forward, set.x, network.inputFrac, inputSize), set.y);
    const row = {
      run: trainDir,
      architecture: run.architecture,
      method,
      quantizeSeconds: seconds,
      calibrationClips: calibration.y.length,
      float,
      floatRoundedInput: { validation: roundedInput(sets.validation), testing: roundedInput(sets.testing) },
      int8: {
        validation: accuracy(classifier.predict(sets.validation.x), sets.validation.y),
        testing: accuracy(classifier.predict(sets.testing.x), sets.testing.y),
      },
      adjustments: report.adjustments,
      points: report.points.map(
        (p) => `${p.point} ${p.type} frac ${p.frac} (max ${p.observedMaxAbs.toFixed(2)}, clamped ${p.saturated})`,
      ),
    };
    if (method === methods[0]) {
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-recurrent-accuracy-'));
      emitRecurrentC(network, outDir);
      const inputs = quantizeFeatures(sets.testing.x, network.inputFrac);
      row.cParity = {
        clips: sets.testing.y.length,
        portableMismatches: cMismatches(build(outDir, network.architecture, 'portable'), network, inputs),
      };
      if (armPresent)
        row.cParity.armMismatches = cMismatches(build(outDir, network.architecture, 'arm'), network, inputs);
      fs.rmSync(outDir, { recursive: true, force: true });
    }
    if (json) console.log(JSON.stringify(row));
    else {
      const pct = (v) => `${(100 * v).toFixed(2)}%`;
      const parity = row.cParity && [
        `${row.cParity.portableMismatches} (portable)`,
        ...(armPresent ? [`${row.cParity.armMismatches} (ARM)`] : []),
      ];
      console.log(
        `${run.architecture} ${method}: float val/test ${pct(float.validation)} / ${pct(float.testing)}, ` +
          `float on int8 features ${pct(row.floatRoundedInput.validation)} / ${pct(row.floatRoundedInput.testing)}, ` +
          `int8 ${pct(row.int8.validation)} / ${pct(row.int8.testing)} ` +
          `(test delta ${(100 * (row.int8.testing - float.testing)).toFixed(2)} points; quantised in ${seconds.toFixed(1)} s)` +
          (parity ? `; C logits differ on ${parity.join(' / ')} of ${row.cParity.clips} testing clips` : ''),
      );
    }
  }
  model.dispose();
}
