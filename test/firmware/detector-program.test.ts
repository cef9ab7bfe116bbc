/**
 * `kws firmware` end to end: a run trained and quantised here, its network + front end + stream
 * built for the host and an emulated Cortex-M4, run on a generated stream; the device's
 * detections must equal `kws detect --quantized` line for line (time, label and score as printed).
 * With ARM's real legacy kernels too, when ../shared has them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../src/audio/wav.js';
import { detectionLine } from '../../src/cli/detections.js';
import { detectStream } from '../../src/detect/detector.js';
import { makeStream } from '../../src/detect/make-stream.js';
import type { PosteriorSettings } from '../../src/detect/posteriors.js';
import { openClassifier } from '../../src/eval/classifier.js';
import type { BoardName } from '../../src/firmware/boards.js';
import { buildDetectorProgram, programSizes, runDetectorProgram } from '../../src/firmware/detector-program.js';
import { quantizeTrainedRun } from '../../src/quant/run.js';
import { makeTrainedRun, type TrainedRun } from '../eval/trained-run.js';
import { testStreamOptions } from '../helpers/stream.js';
import { skipHost, skipCross } from './toolchain.js';

const THIRD_PARTY = path.resolve(fileURLToPath(import.meta.url), '../../../../shared/third_party');
const CMSIS_NN = path.join(THIRD_PARTY, 'cmsis-nn-legacy');
const CMSIS_CORE = path.join(THIRD_PARTY, 'cmsis-core');
const armKernelsPresent = fs.existsSync(CMSIS_NN) && fs.existsSync(CMSIS_CORE);
/** ARM's current CMSIS-NN (the s8 API). */
const CMSIS_NN_S8 = path.join(THIRD_PARTY, 'cmsis-nn');
const s8KernelsPresent = fs.existsSync(CMSIS_NN_S8);

/** Low enough for the briefly trained DNN to fire often, with suppressed and smoothed windows. */
const OPERATING_POINT: PosteriorSettings = { averageWindowMs: 200, threshold: 0.5, suppressionMs: 500 };

let fixture: TrainedRun;
let wav: string;
let pcm: Int16Array;
let expected: string[];

beforeAll(async () => {
  fixture = await makeTrainedRun();
  wav = path.join(fixture.root, 'stream.wav');
  makeStream(testStreamOptions(wav, fixture.dataDir, { durationS: 20, gapS: 1, noiseVolume: 0.05, seed: 3 }));
  pcm = Int16Array.from(readWav(wav).samples, (v) => Math.round(v * 32768));
  const classifier = await openClassifier(fixture.trainDir, { quantized: true });
  const result = await detectStream(fs.createReadStream(wav), wav, classifier, OPERATING_POINT);
  expected = result.detections.map((detection) => detectionLine(detection, undefined, true));
});
afterAll(() => fs.rmSync(fixture.root, { recursive: true, force: true }));

async function deviceDetections(
  board: BoardName,
  kernels?: { cmsisNn: string; cmsisCore?: string },
  trainDir = fixture.trainDir,
) {
  const program = await buildDetectorProgram({
    trainDir,
    board,
    outDir: path.join(trainDir, `firmware-${board}${kernels ? '-arm' : ''}`),
    operatingPoint: OPERATING_POINT,
    ...kernels,
  });
  const run = await runDetectorProgram(program, pcm);
  return { program, run, lines: run.detections.map((detection) => detectionLine(detection, undefined, true)) };
}

describe('kws firmware: the device loop equals kws detect --quantized', () => {
  it('has a stream worth comparing (detections, some suppressed)', () => {
    expect(expected.length).toBeGreaterThanOrEqual(5);
  });

  it.skipIf(skipHost)('on the host, with the portable kernels', async () => {
    const { run, lines } = await deviceDetections('host');
    expect(lines).toEqual(expected);
    expect(run.audioSeconds).toBe(20);
    expect(run.dropped).toBe(0);
    expect(run.instructions).toBeUndefined();
  });

  it.skipIf(skipCross)(
    'on an emulated Cortex-M4: same detections, instruction counts, flash and RAM per part',
    async () => {
      const { program, run, lines } = await deviceDetections('qemu-m4');
      expect(lines).toEqual(expected);
      // One window per 40 ms stride after the first second.
      expect(run.windows).toBe(1 + (20 - 1) * 25);
      const { inference, frame, perWindow, perAudioSecond } = run.instructions!;
      expect(inference.unit).toBe('instructions');
      expect(inference.instructions).toBeGreaterThan(10_000);
      expect(frame.instructions).toBeGreaterThan(10_000);
      // A window costs one new frame, one inference and the posterior bookkeeping.
      expect(perWindow.instructions).toBeGreaterThan(inference.instructions + frame.instructions);
      const windowsPerSecond = run.windows / run.audioSeconds;
      expect(perAudioSecond.instructions / (perWindow.instructions * windowsPerSecond)).toBeCloseTo(1, 2);
      const sizes = await programSizes(program);
      expect(sizes.groups['weights']!.flash).toBeGreaterThan(0);
      expect(sizes.groups['weights']!.ram).toBe(0);
      expect(sizes.groups['activations and scratch']!.ram).toBeGreaterThan(0);
      expect(sizes.groups['feature front end']!.flash).toBeGreaterThan(0);
      expect(sizes.groups['stream state']!.ram).toBeGreaterThan(0);
    },
  );

  it.skipIf(skipCross || !s8KernelsPresent)(
    "the cmsis-nn-s8 target, on an emulated Cortex-M4 with ARM's current CMSIS-NN",
    async () => {
      const trainDir = path.join(fixture.root, 'run-s8');
      fs.cpSync(fixture.trainDir, trainDir, { recursive: true });
      await quantizeTrainedRun({
        trainDir,
        run: fixture.run,
        data: fixture.run.data,
        checkpoint: 'best',
        target: 'cmsis-nn-s8',
        calibrationSet: 'validation',
        calibrationSize: 0,
        method: 'max',
        cacheDir: fixture.cacheDir,
        seed: 1,
      });
      const classifier = await openClassifier(trainDir, { quantized: true });
      const host = await detectStream(fs.createReadStream(wav), wav, classifier, OPERATING_POINT);
      const s8Expected = host.detections.map((detection) => detectionLine(detection, undefined, true));
      expect(s8Expected.length).toBeGreaterThanOrEqual(3);
      const { program, lines } = await deviceDetections('qemu-m4', { cmsisNn: CMSIS_NN_S8 }, trainDir);
      expect(program.kernels).toBe('cmsis-nn');
      expect(lines).toEqual(s8Expected);
      // Without ARM's kernels there is nothing to build an s8 network with.
      await expect(buildDetectorProgram({ trainDir, board: 'host' })).rejects.toThrow(/needs ARM's CMSIS-NN/);
    },
  );

  it.skipIf(skipCross || !armKernelsPresent)(
    "on an emulated Cortex-M4 with ARM's legacy CMSIS-NN kernels",
    async () => {
      const { program, lines } = await deviceDetections('qemu-m4', { cmsisNn: CMSIS_NN, cmsisCore: CMSIS_CORE });
      expect(program.kernels).toBe('cmsis-nn');
      expect(lines).toEqual(expected);
    },
  );
});
