/**
 * A trained run as something that classifies feature rows: the float model of a checkpoint, or
 * the integer network `kws quantize` produced, run by the bit-exact CMSIS-NN simulator. eval,
 * predict and detect all go through this, so they agree on what "the model" outputs.
 */
import path from 'node:path';
import { initBackend, type BackendInfo, type BackendPreference } from '../backend/index.js';
import { KwsError } from '../errors.js';
import { featureGeometry, type FeatureConfig } from '../features/config.js';
import { quantizeFeatures } from '../features/quantize.js';
import { predictLogits, softmaxRows } from '../models/inference.js';
import { loadModelDir } from '../models/io.js';
import { createSimulator, softmaxQ7 } from '../quant/simulate.js';
import { loadQuantizedNetwork } from '../quant/store.js';
import { argmax, argmaxRows } from '../metrics.js';

export type CheckpointChoice = 'best' | 'last';

export interface IntegerTrace {
  inputInt8: Int8Array;
  logitsInt8: Int8Array;
}

export interface Classifier {
  readonly labels: string[];
  readonly feature: FeatureConfig;
  readonly inputSize: number;
  readonly quantized: boolean;
  /** Set for the float model: the backend it runs on. */
  readonly backend?: BackendInfo;
  /**
   * Class scores per row, `[rows][labels]`: softmax probabilities for the float model; for the
   * quantised one what the device reports, `arm_softmax_q7` output / 128.
   */
  scores(x: Float32Array): Float32Array;
  /** The arg-max class per row (first maximum wins, as on the device). */
  predict(x: Float32Array): Int32Array;
  /** Quantised only: the int8 input and int8 logits of one feature row. */
  trace?(row: Float32Array): IntegerTrace;
  dispose(): void;
}

export interface OpenClassifierOptions {
  checkpoint?: CheckpointChoice;
  quantized?: boolean;
  backend?: BackendPreference;
}

export function checkpointDir(trainDir: string, checkpoint: CheckpointChoice): string {
  return path.join(trainDir, 'checkpoints', checkpoint);
}

export async function openClassifier(trainDir: string, options: OpenClassifierOptions = {}): Promise<Classifier> {
  return options.quantized ? openIntegerClassifier(trainDir) : openFloatClassifier(trainDir, options);
}

async function openFloatClassifier(trainDir: string, options: OpenClassifierOptions): Promise<Classifier> {
  const backend = await initBackend(options.backend ?? 'auto');
  const dir = checkpointDir(trainDir, options.checkpoint ?? 'best');
  const { model, sidecar } = await loadModelDir(dir).catch((error: unknown) => {
    if (error instanceof KwsError && options.checkpoint === undefined) {
      throw new KwsError(`${error.message} (is ${trainDir} a kws training directory with a finished evaluation step?)`);
    }
    throw error;
  });
  const { frames, coefficients } = featureGeometry(sidecar.feature);
  const inputSize = frames * coefficients;
  const labelCount = sidecar.labels.length;
  return {
    labels: sidecar.labels,
    feature: sidecar.feature,
    inputSize,
    quantized: false,
    backend,
    scores: (x) => softmaxRows(predictLogits(model, x, inputSize, labelCount), labelCount),
    predict: (x) => argmaxRows(predictLogits(model, x, inputSize, labelCount), labelCount),
    dispose: () => model.dispose(),
  };
}

function openIntegerClassifier(trainDir: string): Classifier {
  const network = loadQuantizedNetwork(trainDir);
  const simulator = createSimulator(network);
  const inputSize = network.frames * network.coefficients;
  const labelCount = network.labels.length;
  const input = new Int8Array(inputSize);
  const logits = new Int8Array(labelCount);
  const probabilities = new Int8Array(labelCount);
  const runRow = (x: Float32Array, row: number): Int8Array => {
    quantizeFeatures(x.subarray(row * inputSize, (row + 1) * inputSize), network.inputFrac, input);
    return simulator.run(input, logits);
  };
  const rowsOf = (x: Float32Array) => {
    if (x.length % inputSize !== 0)
      throw new KwsError(`features hold ${x.length} values, not a multiple of the model's input size ${inputSize}`);
    return x.length / inputSize;
  };
  return {
    labels: network.labels,
    feature: network.feature,
    inputSize,
    quantized: true,
    scores(x) {
      const rows = rowsOf(x);
      const out = new Float32Array(rows * labelCount);
      for (let r = 0; r < rows; r++) {
        softmaxQ7(runRow(x, r), probabilities);
        for (let c = 0; c < labelCount; c++) out[r * labelCount + c] = probabilities[c]! / 128;
      }
      return out;
    },
    predict(x) {
      const rows = rowsOf(x);
      const out = new Int32Array(rows);
      for (let r = 0; r < rows; r++) out[r] = argmax(runRow(x, r));
      return out;
    },
    trace(row) {
      const logitsInt8 = runRow(row, 0).slice();
      return { inputInt8: input.slice(), logitsInt8 };
    },
    dispose: () => undefined,
  };
}
