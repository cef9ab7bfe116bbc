/**
 * For the architectures without a CMSIS-NN integer pipeline here (basic_lstm, lstm, gru, crnn):
 * what ARM's quant_test.py did for every model — each weight tensor rounded to its own
 * power-of-two int8 format, dumped to weights.h in CMSIS order — and the accuracy of the float
 * model with those rounded weights. Activations stay float: this is NOT a device simulation.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../atomic.js';
import { KwsError } from '../errors.js';
import { featureGeometry } from '../features/config.js';
import { predictLogits } from '../models/inference.js';
import { argmax } from '../metrics.js';
import type { CalibrationSet } from './calibrate.js';
import { cArray, openingComment } from './emit-c.js';
import type { ModelDescription } from './fold.js';
import { cmsisLayout } from './layout.js';
import { type QuantizedTensor, dequantize, qFormatName, quantizeTensor } from './qformat.js';

export interface WeightTensor {
  /** C macro name, e.g. `GRU_1_WT`, `FINAL_FC_BIAS`. */
  name: string;
  /** The tfjs variable. */
  source: string;
  /** Shape in the order the values are written (CMSIS: `[out][in]`, `[out][kh][kw][in]`). */
  shape: number[];
  layout: string;
  quantized: QuantizedTensor;
}

export interface WeightsOnlyModel {
  architecture: string;
  labels: string[];
  tensors: WeightTensor[];
  /** On the calibration set: the float model, and the float model with int8-rounded weights. */
  accuracy: { float: number; weightsQuantized: number };
}

/** ARM's shipped names: `_WT` for kernels, `_BIAS` for biases, the rest by their own name. */
function macroName(layer: string, variable: string): string {
  const base = variable.split('/').pop()!.replace(/_\d+$/, '');
  const suffix = base === 'kernel' ? 'WT' : base === 'bias' ? 'BIAS' : base.replace(/kernel$/, 'wt');
  return `${layer}_${suffix}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

function accuracy(model: tf.LayersModel, set: CalibrationSet, inputSize: number, labelCount: number): number {
  const logits = predictLogits(model, set.x, inputSize, labelCount);
  let correct = 0;
  for (let n = 0; n < set.y.length; n++)
    if (argmax(logits.subarray(n * labelCount, (n + 1) * labelCount)) === set.y[n]) correct++;
  return correct / set.y.length;
}

/**
 * Quantises every weight of `model` and measures the effect. The model's weights are swapped
 * for the rounded ones during the measurement and restored afterwards.
 */
export function quantizeWeightsOnly(
  model: tf.LayersModel,
  description: ModelDescription,
  calibration: CalibrationSet,
): WeightsOnlyModel {
  const { frames, coefficients } = featureGeometry(description.feature);
  const inputSize = frames * coefficients;
  const labelCount = description.labels.length;
  if (calibration.y.length === 0) throw new KwsError('the calibration set is empty');
  const tensors: WeightTensor[] = [];
  const rounded: tf.Tensor[] = [];
  for (const layer of model.layers) {
    layer.getWeights().forEach((tensor, i) => {
      const variable = layer.weights[i]!;
      const values = Float32Array.from(tensor.dataSync());
      const quantized = quantizeTensor(values);
      rounded.push(tf.tensor(dequantize(quantized.values, quantized.frac), tensor.shape));
      const layout = cmsisLayout(tensor.shape);
      const ordered = Int8Array.from(layout.source, (from) => quantized.values[from]!);
      tensors.push({
        name: macroName(layer.name, variable.name),
        source: variable.name,
        shape: layout.shape,
        layout: layout.axes,
        quantized: { ...quantized, values: ordered },
      });
    });
  }
  const original = model.getWeights().map((t) => t.clone());
  try {
    const float = accuracy(model, calibration, inputSize, labelCount);
    model.setWeights(rounded);
    const weightsQuantized = accuracy(model, calibration, inputSize, labelCount);
    return {
      architecture: description.architecture,
      labels: [...description.labels],
      tensors,
      accuracy: { float, weightsQuantized },
    };
  } finally {
    model.setWeights(original);
    original.forEach((t) => t.dispose());
    rounded.forEach((t) => t.dispose());
  }
}

export function renderWeightsOnlyHeader(result: WeightsOnlyModel, provenance?: string): string {
  const parts = [
    openingComment(
      `int8 weights of the ${result.architecture} model (weights only: no CMSIS-NN integer pipeline for this architecture).`,
      provenance,
    ),
    '',
  ];
  for (const t of result.tensors) {
    const shape = t.shape.map((d) => `[${d}]`).join('');
    parts.push(
      `/* ${t.name}: ${t.source} ${shape}${t.layout ? ` ${t.layout}` : ''}, ${qFormatName(t.quantized.frac)} */`,
    );
    parts.push(`#define ${t.name} ${cArray(t.quantized.values)}`, '');
  }
  return parts.join('\n');
}

/** Writes weights.h into `outDir` (atomically); returns its path. */
export function emitWeightsOnly(result: WeightsOnlyModel, outDir: string, provenance?: string): string {
  const file = path.join(outDir, 'weights.h');
  writeFileAtomic(file, renderWeightsOnlyHeader(result, provenance));
  return file;
}
