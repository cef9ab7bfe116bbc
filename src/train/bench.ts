/**
 * `kws bench`: throughput of zoo presets on whichever backend runs, in samples (clips) per
 * second. Training is measured with the trainer's own step: as compute on one fixed batch
 * (what the backend and kernels give) on one thread and, with two or more cores, data-parallel on
 * two (`--train-workers 2`); and through the real batch pipeline (a generated dataset read,
 * augmented and featurised on the worker thread, as `kws train` does), so the two show what data
 * preparation costs. Plus inference and feature extraction.
 *
 * With a peer (PyTorch, scripts/bench-pytorch.py), the two-thread compute figure is measured in
 * rounds alternating with the peer's on the same models, so both see the same machine load.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { createBatchSource } from '../data/batch-source.js';
import { buildIndex } from '../data/dataset-index.js';
import { generateSyntheticDataset } from '../data/synthetic.js';
import { UsageError } from '../errors.js';
import { DEFAULT_FEATURE_CONFIG, featureGeometry, type FeatureConfig } from '../features/config.js';
import { createFeatureExtractor } from '../features/extractor.js';
import { buildModel } from '../models/build/index.js';
import { predictLogits } from '../models/inference.js';
import { loadPreset, presetFeatureConfig, presetSpec } from '../models/presets.js';
import type { ModelSpec } from '../models/spec.js';
import { Random } from '../random.js';
import { GradientReplica, parallelTrainStep } from './replica.js';
import { createOptimizer, trainStep } from './step.js';
import { QuantizeAwareTraining } from './qat.js';
import { isIntegerArchitecture } from '../quant/ir.js';
import { Q7_TARGET, S8_TARGET } from '../targets.js';
import { labelsFor } from '../run/config.js';

export interface BenchOptions {
  presets: string[];
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  batchSize?: number;
  trainSteps?: number;
  warmupSteps?: number;
  inferBatches?: number;
  featureClips?: number;
  seed?: number;
  /** Measure two-thread training against this peer too (needs python3 with torch). */
  peer?: 'pytorch';
  /** Alternating rounds of kws and the peer (default 3). */
  peerRounds?: number;
  onProgress?: (line: string) => void;
}

export interface PeerResult {
  name: 'pytorch';
  version: string;
  threads: number;
  /** Per preset, the median over rounds of the peer's training samples/s. */
  train_samples_per_s: Record<string, number>;
  /** Per preset, the median over rounds of kws's two-thread samples/s. */
  kws_samples_per_s: Record<string, number>;
  /** Per preset, the median of the rounds' ratios kws / peer (above 1: kws is faster). */
  ratio: Record<string, number>;
  rounds: Array<Record<string, { kws: number; peer: number }>>;
}

export interface BenchResult {
  backend: string;
  /** Training compute: the trainer's step on one fixed batch of random features, one thread. */
  train_samples_per_s: Record<string, number>;
  /** Quantisation-aware training's step (qat.ts) for cmsis-nn-q7 on the same batch, one thread; dnn, cnn and ds_cnn only. */
  train_qat_samples_per_s: Record<string, number>;
  /** The same for cmsis-nn-s8. */
  train_qat_s8_samples_per_s: Record<string, number>;
  /** The same on two threads (`--train-workers 2`); absent on a single core. */
  train_two_threads_samples_per_s: Record<string, number>;
  /** Training through the batch pipeline: generated clips augmented and featurised on the worker. */
  train_pipeline_samples_per_s: Record<string, number>;
  infer_samples_per_s: Record<string, number>;
  features_clips_per_s: number;
  peer?: PeerResult;
}

/** Generated words: yes, no, up as keywords, two more as unknown words (12 labels like Speech Commands). */
const BENCH_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', 'bed', 'cat'];
const WANTED_WORDS = BENCH_WORDS.slice(0, 10);
const BENCH_LABELS = labelsFor(WANTED_WORDS);
const LABELS = BENCH_LABELS.length;
const PEER_THREADS = 2;
/** What scripts/bench-pytorch.py builds. */
const PEER_ARCHITECTURES = new Set(['ds_cnn', 'cnn', 'dnn']);
const PEER_SCRIPT = fileURLToPath(new URL('../../scripts/bench-pytorch.py', import.meta.url));

function randomArray(length: number, random: Random, scale: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = scale * random.normal();
  return out;
}

export function benchFeatures(config: FeatureConfig, clips: number, seed: number): number {
  const random = new Random(seed);
  const extractor = createFeatureExtractor(config);
  const geometry = featureGeometry(config);
  const audio = Array.from({ length: 16 }, () => randomArray(geometry.desiredSamples, random, 0.1));
  const out = new Float32Array(extractor.size);
  for (let i = 0; i < 20; i++) extractor.compute(audio[i % audio.length]!, out);
  const started = performance.now();
  for (let i = 0; i < clips; i++) extractor.compute(audio[i % audio.length]!, out);
  return clips / ((performance.now() - started) / 1000);
}

function samplesPerSecond(samples: number, startedMs: number): number {
  return Math.round(samples / ((performance.now() - startedMs) / 1000));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** One preset's model, optimizer and fixed random batch, for repeated compute measurements. */
interface ComputeCase {
  name: string;
  spec: ModelSpec;
  model: tf.LayersModel;
  optimizer: tf.AdamOptimizer;
  x: Float32Array;
  y: Int32Array;
  replica?: GradientReplica;
}

async function timeSteps(steps: number, warmup: number, batch: number, run: () => unknown): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  const started = performance.now();
  for (let i = 0; i < steps; i++) await run();
  return samplesPerSecond(steps * batch, started);
}

function twoThreads(c: ComputeCase, steps: number, warmup: number): Promise<number> {
  const replica = c.replica!;
  return timeSteps(steps, warmup, c.y.length, () => parallelTrainStep(c.model, c.optimizer, replica, c.x, c.y, LABELS));
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const backend = await initBackend(options.backend ?? 'auto');
  const batchSize = options.batchSize ?? 100;
  const trainSteps = options.trainSteps ?? 20;
  const warmupSteps = options.warmupSteps ?? 3;
  const inferBatches = options.inferBatches ?? 20;
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const peer = options.peer ? await PytorchPeer.start() : undefined;
  const twoCores = os.availableParallelism() >= 2 && batchSize >= 2;
  const result: BenchResult = {
    backend: backend.name,
    train_samples_per_s: {},
    train_qat_samples_per_s: {},
    train_qat_s8_samples_per_s: {},
    train_two_threads_samples_per_s: {},
    train_pipeline_samples_per_s: {},
    infer_samples_per_s: {},
    features_clips_per_s: 0,
  };
  const cases: ComputeCase[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-bench-data-'));
  try {
    generateSyntheticDataset({ dir: dataDir, words: BENCH_WORDS, speakers: 10, clipsPerSpeaker: 2, seed });
    const index = buildIndex({
      dataDir,
      wantedWords: WANTED_WORDS,
      split: 'hash',
      splitSalt: '',
      validationPercentage: 10,
      testingPercentage: 10,
      silencePercentage: 10,
      unknownPercentage: 10,
      seed,
    });
    for (const name of options.presets) {
      const preset = loadPreset(name);
      const spec = presetSpec(preset, LABELS);
      const inputSize = spec.frames * spec.coefficients;
      const c: ComputeCase = {
        name,
        spec,
        model: buildModel(spec, seed),
        optimizer: createOptimizer(1e-4),
        x: randomArray(batchSize * inputSize, random, 10),
        y: Int32Array.from({ length: batchSize }, () => random.int(0, LABELS)),
      };
      cases.push(c);
      const { model, optimizer } = c;
      result.train_samples_per_s[name] = await timeSteps(trainSteps, warmupSteps, batchSize, () =>
        trainStep(model, optimizer, c.x, c.y, LABELS),
      );
      if (isIntegerArchitecture(spec.architecture)) {
        const description = {
          architecture: spec.architecture,
          feature: presetFeatureConfig(preset),
          labels: BENCH_LABELS,
        };
        const qat = QuantizeAwareTraining.for(model, description, Q7_TARGET, undefined);
        result.train_qat_samples_per_s[name] = await timeSteps(trainSteps, warmupSteps, batchSize, () =>
          trainStep(model, optimizer, c.x, c.y, LABELS, qat.gradients),
        );
        const qatS8 = QuantizeAwareTraining.for(model, description, S8_TARGET, undefined);
        result.train_qat_s8_samples_per_s[name] = await timeSteps(trainSteps, warmupSteps, batchSize, () =>
          trainStep(model, optimizer, c.x, c.y, LABELS, qatS8.gradients),
        );
      }
      if (twoCores) {
        c.replica = await GradientReplica.start(spec, backend.name);
        result.train_two_threads_samples_per_s[name] = await twoThreads(c, trainSteps, warmupSteps);
      }

      const batches = await createBatchSource({
        index,
        feature: presetFeatureConfig(preset),
        augment: { timeShiftMs: 100, backgroundFrequency: 0.8, backgroundVolume: 0.1 },
        batchSize,
        seed,
      });
      try {
        result.train_pipeline_samples_per_s[name] = await timeSteps(trainSteps, warmupSteps, batchSize, async () => {
          const batch = await batches.next();
          trainStep(model, optimizer, batch.x, batch.y, LABELS);
        });
      } finally {
        await batches.close();
      }

      const inferX = randomArray(inferBatches * batchSize * inputSize, random, 10);
      predictLogits(model, inferX.subarray(0, batchSize * inputSize), inputSize, LABELS, batchSize);
      const started = performance.now();
      predictLogits(model, inferX, inputSize, LABELS, batchSize);
      result.infer_samples_per_s[name] = samplesPerSecond(inferBatches * batchSize, started);
      const two = result.train_two_threads_samples_per_s[name];
      const qat = result.train_qat_samples_per_s[name];
      const qatS8 = result.train_qat_s8_samples_per_s[name];
      options.onProgress?.(
        `${name}: train ${result.train_samples_per_s[name]} samples/s (fixed batch, one thread` +
          `${qat === undefined ? '' : `; quantisation-aware ${qat} for q7, ${qatS8} for s8`}` +
          `${two === undefined ? '' : `; ${two} on two`}), ` +
          `${result.train_pipeline_samples_per_s[name]} through the batch pipeline; ` +
          `inference ${result.infer_samples_per_s[name]} samples/s`,
      );
    }
    if (peer) {
      if (!twoCores) throw new UsageError('--peer compares training on two cores: this machine has one');
      result.peer = await comparePeer(peer, cases, { batchSize, trainSteps, warmupSteps }, options);
    }
  } finally {
    await peer?.close();
    for (const c of cases) {
      await c.replica?.close();
      c.model.dispose();
      c.optimizer.dispose();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  result.features_clips_per_s = Math.round(benchFeatures(DEFAULT_FEATURE_CONFIG, options.featureClips ?? 2000, seed));
  options.onProgress?.(`features: ${result.features_clips_per_s} clips/s (49x10 MFCC, one core)`);
  return result;
}

async function comparePeer(
  peer: PytorchPeer,
  cases: ComputeCase[],
  sizes: { batchSize: number; trainSteps: number; warmupSteps: number },
  options: BenchOptions,
): Promise<PeerResult> {
  const compared = cases.filter((c) => PEER_ARCHITECTURES.has(c.spec.architecture));
  for (const c of cases)
    if (!compared.includes(c))
      options.onProgress?.(`${c.name}: no PyTorch version of ${c.spec.architecture} to compare with`);
  const rounds: PeerResult['rounds'] = [];
  for (let round = 1; round <= (options.peerRounds ?? 3); round++) {
    const figures: PeerResult['rounds'][number] = {};
    for (const c of compared) {
      const kws = await twoThreads(c, sizes.trainSteps, sizes.warmupSteps);
      const measured = await peer.measure(c.spec, sizes.batchSize, sizes.trainSteps, sizes.warmupSteps);
      figures[c.name] = { kws, peer: measured };
      options.onProgress?.(
        `round ${round}, ${c.name}: kws ${kws}, PyTorch ${measured} samples/s on ${PEER_THREADS} threads (${(kws / measured).toFixed(2)}x)`,
      );
    }
    rounds.push(figures);
  }
  const perPreset = (pick: (figure: { kws: number; peer: number }) => number) =>
    Object.fromEntries(compared.map((c) => [c.name, Number(median(rounds.map((r) => pick(r[c.name]!))).toFixed(3))]));
  return {
    name: 'pytorch',
    version: peer.version,
    threads: PEER_THREADS,
    train_samples_per_s: perPreset((f) => f.peer),
    kws_samples_per_s: perPreset((f) => f.kws),
    ratio: perPreset((f) => f.kws / f.peer),
    rounds,
  };
}

/** scripts/bench-pytorch.py in its serve mode: one JSON request per line, one JSON answer per line. */
class PytorchPeer {
  private readonly answers: AsyncIterator<string>;

  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    readonly version: string,
  ) {
    this.answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  /** Starts the peer with the first python3 that imports torch. */
  static async start(): Promise<PytorchPeer> {
    if (!fs.existsSync(PEER_SCRIPT))
      throw new UsageError(`--peer pytorch needs ${PEER_SCRIPT} (it is in the kws repository, not the npm package)`);
    for (const python of ['python3', '/usr/bin/python3']) {
      const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
      if (probe.status !== 0) continue;
      const child = spawn(python, [PEER_SCRIPT, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
      return new PytorchPeer(child, probe.stdout.trim());
    }
    throw new UsageError('--peer pytorch needs python3 with torch (on Debian: apt-get install python3-torch)');
  }

  async measure(spec: ModelSpec, batch: number, steps: number, warmup: number): Promise<number> {
    const request = {
      architecture: spec.architecture,
      modelSizeInfo: spec.modelSizeInfo,
      frames: spec.frames,
      coefficients: spec.coefficients,
      labels: spec.labelCount,
      batch,
      steps,
      warmup,
      threads: PEER_THREADS,
    };
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    const answer = await this.answers.next();
    if (answer.done) throw new UsageError('--peer pytorch: scripts/bench-pytorch.py stopped (see its error above)');
    return (JSON.parse(answer.value) as { samples_per_s: number }).samples_per_s;
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once('exit', resolve));
  }
}
