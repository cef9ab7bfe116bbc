/**
 * The training batch producer: clips decoded once and kept as 16-bit PCM, then per sample only
 * augmentation and features run. Batch k depends only on (seed, k), so the worker thread and an
 * in-process producer give the same sequence, and a resumed run continues where it stopped.
 */
import { loadClip, readWav, resample } from '../audio/wav.js';
import { KwsError, errorMessage } from '../errors.js';
import { featureGeometry, type FeatureConfig } from '../features/config.js';
import { createFeatureExtractor, type FeatureExtractor } from '../features/extractor.js';
import { Random, deriveSeed } from '../random.js';
import { drawAugmentation, renderAugmented, timeShiftSamples, toPcm16, type AugmentConfig } from './augment.js';
import { UNKNOWN_INDEX } from './dataset-index.js';
import { skippedWarning } from './warnings.js';

/** A training entry as plain data (it crosses to the worker): a WAV path, or null for silence made from noise. */
export interface TrainingEntry {
  path: string | null;
  label: number;
}

export interface BatchSettings {
  feature: FeatureConfig;
  augment: AugmentConfig;
  batchSize: number;
  seed: number;
}

export interface Batch {
  /** `[batchSize, frames·coefficients]`, frame-major per sample. */
  x: Float32Array;
  y: Int32Array;
}

export interface TrainingMaterial {
  clips: Array<Int16Array | null>;
  labels: Int32Array;
  noises: Float32Array[];
  warnings: string[];
}

/** Decodes every training clip and noise recording once. Unreadable files are skipped and named in `warnings`. */
export function loadTrainingMaterial(
  entries: readonly TrainingEntry[],
  noiseFiles: readonly string[],
  feature: FeatureConfig,
): TrainingMaterial {
  const { desiredSamples } = featureGeometry(feature);
  const clips: Array<Int16Array | null> = [];
  const labels: number[] = [];
  const failures: string[] = [];
  for (const entry of entries) {
    if (entry.path === null) {
      clips.push(null);
      labels.push(entry.label);
      continue;
    }
    try {
      clips.push(toPcm16(loadClip(entry.path, { sampleRate: feature.sampleRate, desiredSamples })));
      labels.push(entry.label);
    } catch (error) {
      if (!(error instanceof KwsError)) throw error;
      failures.push(errorMessage(error));
    }
  }
  const noises: Float32Array[] = [];
  const noiseFailures: string[] = [];
  for (const file of noiseFiles) {
    try {
      const wav = readWav(file);
      noises.push(
        wav.sampleRate === feature.sampleRate ? wav.samples : resample(wav.samples, wav.sampleRate, feature.sampleRate),
      );
    } catch (error) {
      if (!(error instanceof KwsError)) throw error;
      noiseFailures.push(errorMessage(error));
    }
  }
  return {
    clips,
    labels: Int32Array.from(labels),
    noises,
    warnings: [
      ...skippedWarning('training WAV(s)', failures),
      ...skippedWarning('background noise WAV(s)', noiseFailures),
    ],
  };
}

export class BatchProducer {
  private readonly extractor: FeatureExtractor;
  private readonly maxShift: number;
  private readonly noiseLengths: number[];
  private readonly scratch: Float32Array;

  constructor(
    private readonly material: TrainingMaterial,
    private readonly settings: BatchSettings,
  ) {
    if (!material.labels.some((label) => label > UNKNOWN_INDEX)) {
      throw new KwsError(
        `none of the training clips of the wanted words could be read (${material.warnings.join('; ')})`,
      );
    }
    this.extractor = createFeatureExtractor(settings.feature);
    this.maxShift = timeShiftSamples(settings.augment.timeShiftMs, settings.feature.sampleRate);
    this.noiseLengths = material.noises.map((noise) => noise.length);
    this.scratch = new Float32Array(featureGeometry(settings.feature).desiredSamples);
  }

  get featureSize(): number {
    return this.extractor.size;
  }

  /** Batch `batchIndex`: samples drawn uniformly with replacement (ARM has no epochs), augmented, featurised. */
  produce(batchIndex: number): Batch {
    const { batchSize, augment } = this.settings;
    const { clips, labels, noises } = this.material;
    const random = new Random(deriveSeed(this.settings.seed, batchIndex));
    const size = this.extractor.size;
    const x = new Float32Array(batchSize * size);
    const y = new Int32Array(batchSize);
    for (let sample = 0; sample < batchSize; sample++) {
      const pick = random.int(0, clips.length);
      const draw = drawAugmentation(random, augment, this.maxShift, this.noiseLengths, this.scratch.length);
      renderAugmented(clips[pick] ?? null, draw.noiseIndex >= 0 ? noises[draw.noiseIndex]! : null, draw, this.scratch);
      this.extractor.compute(this.scratch, x.subarray(sample * size, (sample + 1) * size));
      y[sample] = labels[pick]!;
    }
    return { x, y };
  }
}
