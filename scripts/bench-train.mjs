#!/usr/bin/env node
/**
 * Training and inference throughput per model and backend, on random 49×10 fingerprints.
 *
 *   npx tsc -p tsconfig.json && node scripts/bench-train.mjs [--models ds_cnn,dnn]
 *       [--backends wasm,cpu] [--steps 20] [--warmup 3] [--batch 100] [--profile] [--json]
 *
 * Models (ds_cnn, ds_cnn_m, dnn, cnn, crnn, basic_lstm, gru) come from the project's model zoo
 * (src/models). Training runs the trainer's own step (src/train/step.ts: Adam on the mean softmax
 * cross-entropy, batch norm in training mode), on a fixed set of random batches: compute only,
 * no data pipeline (`kws bench` measures that too). Throughput is given per wall-clock second
 * and per CPU-second of this process (steadier when other jobs share the machine). `--profile`
 * prints where one training step's time goes: for models the training plan runs (DS-CNN, CNN, DNN
 * on wasm), the CPU time of each of its passes, the optimizer and the tfjs calls around them,
 * averaged over `--steps` steps; for others, the kernels that take the most time (tf.profile; a
 * custom op shows both as its own entry and as the kernels it runs).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../dist/backend/index.js';
import { Random } from '../dist/random.js';
import { buildModel } from '../dist/models/build/index.js';
import { updateMovingStatistics } from '../dist/backend/plan/plan.js';
import {
  applyGradients,
  createOptimizer,
  profileTrainingPlan,
  trainableValues,
  trainingPlan,
  trainStep as trainerStep,
} from '../dist/train/step.js';

const FRAMES = 49;
const COEFFICIENTS = 10;
const LABELS = 12;

function parseArgs(argv) {
  const options = {
    models: ['ds_cnn', 'dnn'],
    backends: ['wasm'],
    steps: 20,
    warmup: 3,
    batch: 100,
    profile: false,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--models') options.models = value().split(',');
    else if (flag === '--backends') options.backends = value().split(',');
    else if (flag === '--steps') options.steps = Number(value());
    else if (flag === '--warmup') options.warmup = Number(value());
    else if (flag === '--batch') options.batch = Number(value());
    else if (flag === '--profile') options.profile = true;
    else if (flag === '--json') options.json = true;
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

/** The paper's S sizes, plus DS-CNN M for its strided depthwise layer (reference §2.3). */
const SIZES = {
  ds_cnn: [5, 64, 10, 4, 2, 2, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1],
  ds_cnn_m: [5, 172, 10, 4, 2, 1, 172, 3, 3, 2, 2, 172, 3, 3, 1, 1, 172, 3, 3, 1, 1, 172, 3, 3, 1, 1],
  dnn: [144, 144, 144],
  cnn: [28, 10, 4, 1, 1, 30, 10, 4, 2, 1, 16, 128],
  crnn: [48, 10, 4, 2, 2, 2, 60, 84],
  basic_lstm: [118],
  gru: [1, 154],
};

function build(modelName) {
  const modelSizeInfo = SIZES[modelName];
  if (!modelSizeInfo) throw new Error(`unknown model ${modelName} (known: ${Object.keys(SIZES).join(', ')})`);
  const architecture = modelName.replace(/_m$/, '');
  return buildModel({ architecture, modelSizeInfo, frames: FRAMES, coefficients: COEFFICIENTS, labelCount: LABELS }, 1);
}

/** Deterministic pseudo-random batch so every backend sees the same data. */
function randomBatch(batch, seed) {
  const random = new Random(seed);
  const x = new Float32Array(batch * FRAMES * COEFFICIENTS).map(() => random.uniform(-1, 1));
  const y = new Int32Array(batch).map(() => random.int(0, LABELS));
  return { x, y };
}

function trainStep(model, optimizer, { x, y }) {
  return trainerStep(model, optimizer, x, y, LABELS).loss;
}

function inferStep(model, { x }, batch) {
  const logits = tf.tidy(() => model.predict(tf.tensor2d(x, [batch, FRAMES * COEFFICIENTS])));
  logits.dataSync();
  logits.dispose();
}

/** Wall-clock and process CPU seconds; on a shared machine the CPU figure is the steadier one. */
function timeSteps(steps, run) {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) run(i);
  const cpu = process.cpuUsage(cpuStart);
  return { wall: (performance.now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** CPU milliseconds of this process (other threads idle here, so it is this step's). */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Per-step CPU time of the training plan's passes and of the step's other parts (the trainer's
 * step, taken apart): ms per step per part, with the part's group, largest first.
 */
function profilePlanStep(model, optimizer, batches, steps) {
  const plan = trainingPlan(model);
  const passes = profileTrainingPlan(model, true);
  const outside = new Map();
  const timed = (name, run) => {
    const started = cpuMs();
    const result = run();
    outside.set(name, (outside.get(name) ?? 0) + cpuMs() - started);
    return result;
  };
  const started = cpuMs();
  for (let i = 0; i < steps; i++) {
    const { x, y } = batches[i % batches.length];
    const weights = timed('read weights from tfjs', () => trainableValues(model));
    const { grads, statistics } = plan.gradients(weights, x, y, LABELS);
    timed('write moving statistics to tfjs', () => tf.tidy(() => updateMovingStatistics(plan, statistics)));
    timed('Adam (FusedAdam, one kernel per variable)', () => applyGradients(model, optimizer, grads));
  }
  const total = cpuMs() - started;
  profileTrainingPlan(model, false);
  const group = (name) =>
    name.endsWith(' forward')
      ? 'forward'
      : name.endsWith(' backward')
        ? 'backward'
        : name === 'loss'
          ? 'loss'
          : name.startsWith('Adam')
            ? 'optimizer'
            : 'tfjs and copies';
  const parts = [...passes, ...outside].map(([name, ms]) => ({ name, group: group(name), ms: ms / steps }));
  const accounted = parts.reduce((sum, part) => sum + part.ms, 0);
  parts.push({ name: 'the rest (loop, step bookkeeping)', group: 'tfjs and copies', ms: total / steps - accounted });
  return { totalMs: total / steps, parts: parts.sort((a, b) => b.ms - a.ms) };
}

async function profileStep(model, optimizer, data) {
  const profile = await tf.profile(() => {
    trainStep(model, optimizer, data);
  });
  const byKernel = new Map();
  for (const kernel of profile.kernels) {
    const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += kernel.kernelTimeMs;
    entry.calls += 1;
    byKernel.set(kernel.name, entry);
  }
  return [...byKernel.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, { ms, calls }]) => ({ name, ms: Number(ms.toFixed(2)), calls }));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const results = [];
  for (const backendName of options.backends) {
    const backend = await initBackend(backendName);
    for (const modelName of options.models) {
      const model = build(modelName);
      const optimizer = createOptimizer(5e-4);
      const batches = [0, 1, 2, 3].map((seed) => randomBatch(options.batch, seed + 1));
      timeSteps(options.warmup, (i) => trainStep(model, optimizer, batches[i % batches.length]));
      const train = timeSteps(options.steps, (i) => trainStep(model, optimizer, batches[i % batches.length]));
      timeSteps(options.warmup, (i) => inferStep(model, batches[i % batches.length], options.batch));
      const infer = timeSteps(options.steps, (i) => inferStep(model, batches[i % batches.length], options.batch));
      const result = {
        model: modelName,
        backend: backend.name,
        batch: options.batch,
        steps: options.steps,
        trainSamplesPerSecond: Math.round((options.steps * options.batch) / train.wall),
        trainSamplesPerCpuSecond: Math.round((options.steps * options.batch) / train.cpu),
        inferSamplesPerSecond: Math.round((options.steps * options.batch) / infer.wall),
        inferSamplesPerCpuSecond: Math.round((options.steps * options.batch) / infer.cpu),
      };
      if (options.profile) {
        if (trainingPlan(model)) result.planProfile = profilePlanStep(model, optimizer, batches, options.steps);
        else result.profile = await profileStep(model, optimizer, batches[0]);
      }
      results.push(result);
      if (!options.json) {
        console.log(
          `${modelName} on ${backend.name}: train ${result.trainSamplesPerSecond} samples/s (${result.trainSamplesPerCpuSecond} per CPU-second), ` +
            `inference ${result.inferSamplesPerSecond} samples/s (${result.inferSamplesPerCpuSecond} per CPU-second)`,
        );
        if (backend.warning) console.log(`  (${backend.warning})`);
        if (result.planProfile) {
          const { totalMs, parts } = result.planProfile;
          console.log(`  one training step (training plan), ${totalMs.toFixed(1)} CPU ms:`);
          const groups = new Map();
          for (const part of parts) groups.set(part.group, (groups.get(part.group) ?? 0) + part.ms);
          for (const [name, ms] of [...groups].sort((a, b) => b[1] - a[1]))
            console.log(
              `    ${name.padEnd(36)} ${ms.toFixed(2).padStart(8)} ms  ${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`,
            );
          console.log('  by part:');
          for (const part of parts)
            console.log(
              `    ${part.name.padEnd(44)} ${part.ms.toFixed(2).padStart(8)} ms  ${((100 * part.ms) / totalMs).toFixed(1).padStart(5)}%`,
            );
        }
        if (result.profile) {
          const total = result.profile.reduce((sum, k) => sum + k.ms, 0);
          console.log(`  one training step, kernel time ${total.toFixed(1)} ms:`);
          for (const k of result.profile.slice(0, 15))
            console.log(
              `    ${k.name.padEnd(36)} ${k.ms.toFixed(2).padStart(8)} ms  ${String(k.calls).padStart(4)} calls`,
            );
        }
      }
      model.dispose();
      optimizer.dispose();
    }
  }
  if (options.json)
    console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2));
}

main().catch((error) => {
  console.error(`bench-train: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
