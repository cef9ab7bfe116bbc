/**
 * ARM's label_wav.py: one WAV in, its top-k labels with scores out. The clip goes through the
 * same loading (mono, resample, pad/trim) and feature pipeline as training, then the classifier.
 */
import { tryLoadClip } from '../audio/wav.js';
import { featureGeometry } from '../features/config.js';
import { createFeatureExtractor } from '../features/extractor.js';
import type { Classifier } from './classifier.js';

export interface LabelScore {
  label: string;
  score: number;
}

export interface Prediction {
  file: string;
  /** The top label (first maximum, as `predict` picks it). */
  label: string;
  /** The k best labels, best first; ties keep label order. */
  top: LabelScore[];
  /** Quantised only: what the device sees and computes. */
  inputInt8?: Int8Array;
  logitsInt8?: Int8Array;
}

export type PredictionResult = { ok: true; prediction: Prediction } | { ok: false; file: string; message: string };

/** The `k` highest scores, best first; equal scores keep label order. */
export function topK(scores: ArrayLike<number>, labels: readonly string[], k: number): LabelScore[] {
  return labels
    .map((label, i) => ({ label, score: scores[i]! }))
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.max(1, k));
}

export interface PredictorOptions {
  topK: number;
  onResample?: (file: string, fromRate: number) => void;
}

/** A function that classifies one file at a time; it owns one feature extractor (not shareable). */
export function createPredictor(classifier: Classifier, options: PredictorOptions): (file: string) => PredictionResult {
  const extractor = createFeatureExtractor(classifier.feature);
  const { desiredSamples } = featureGeometry(classifier.feature);
  const features = new Float32Array(extractor.size);
  return (file) => {
    const clip = tryLoadClip(file, {
      sampleRate: classifier.feature.sampleRate,
      desiredSamples,
      onResample: options.onResample,
    });
    if (!clip.ok) return { ok: false, file, message: clip.message };
    extractor.compute(clip.samples, features);
    const top = topK(classifier.scores(features), classifier.labels, options.topK);
    const label = classifier.labels[classifier.predict(features)[0]!]!;
    const prediction: Prediction = { file, label, top };
    if (classifier.trace) {
      const trace = classifier.trace(features);
      prediction.inputInt8 = trace.inputInt8;
      prediction.logitsInt8 = trace.logitsInt8;
    }
    return { ok: true, prediction };
  };
}

/** The agreed JSON object per file: `scores` holds the top k, best first. */
export function predictionJson(prediction: Prediction): Record<string, unknown> {
  const json: Record<string, unknown> = {
    file: prediction.file,
    label: prediction.label,
    scores: Object.fromEntries(prediction.top.map(({ label, score }) => [label, score])),
  };
  if (prediction.inputInt8) json['input_int8'] = Array.from(prediction.inputInt8);
  if (prediction.logitsInt8) json['logits_int8'] = Array.from(prediction.logitsInt8);
  return json;
}

/** label_wav.py's lines: the file, then `label (score = 0.91234)` per rank. */
export function formatPrediction(prediction: Prediction): string {
  return [
    prediction.file,
    ...prediction.top.map(({ label, score }) => `  ${label} (score = ${score.toFixed(5)})`),
  ].join('\n');
}
