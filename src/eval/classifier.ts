/**
 * A trained run as something that classifies feature rows: the float model of a checkpoint, or
 * the integer network `kws quantize` produced, run by the bit-exact CMSIS-NN simulator. eval,
 * predict and detect all go through this, so they agree on what "the model" outputs.
 */
import { initBackend, type BackendInfo, type BackendPreference } from '../backend/index.js';
import { KwsError } from '../errors.js';
import { featureGeometry, type FeatureConfig } from '../features/config.js';
import { argmaxRows } from '../metrics.js';
import { predictLogits, softmaxRows } from '../models/inference.js';
import { loadModelFiles } from '../models/io.js';
import { deployedClassifier } from '../quant/deployed.js';
import { openQuantizedNetwork } from '../quant/store.js';
import { loadRunConfig } from '../run/config.js';
import { type CheckpointName, RunDir } from '../run/layout.js';

export interface IntegerTrace {
  inputInt8: Int8Array;
  logitsInt8: Int8Array;
}

export interface Classifier {
  readonly labels: string[];
  readonly feature: FeatureConfig;
  readonly inputSize: number;
  readonly quantized: boolean;
  /** The checkpoint the model is (float) or was quantised from (int8). */
  readonly checkpoint: CheckpointName;
  /** Set for the float model: the backend it runs on. */
  readonly backend?: BackendInfo;
  /**
   * Class scores per row, `[rows][labels]`: softmax probabilities for the float model; for the
   * quantised one what the device reports, `kws_softmax`'s Q15 probabilities / 32768.
   */
  scores(x: Float32Array): Float32Array;
  /** The arg-max class per row (first maximum wins, as on the device). */
  predict(x: Float32Array): Int32Array;
  /** Quantised only: the int8 input and int8 logits of one feature row. */
  trace?(row: Float32Array): IntegerTrace;
  dispose(): void;
}

export interface OpenClassifierOptions {
  /**
   * Float: the checkpoint to load (default best). Quantised: the network must have been made
   * from this one (default: whichever it was made from).
   */
  checkpoint?: CheckpointName;
  quantized?: boolean;
  backend?: BackendPreference;
}

export async function openClassifier(trainDir: string, options: OpenClassifierOptions = {}): Promise<Classifier> {
  const dir = new RunDir(trainDir);
  return options.quantized ? openIntegerClassifier(dir, options.checkpoint) : openFloatClassifier(dir, options);
}

async function openFloatClassifier(dir: RunDir, options: OpenClassifierOptions): Promise<Classifier> {
  const run = loadRunConfig(dir);
  const backend = await initBackend(options.backend ?? 'auto');
  const checkpoint = options.checkpoint ?? 'best';
  const model = await loadModelFiles(dir.checkpoint(checkpoint).dir, {
    labels: run.labels.length,
    from: dir.config,
  }).catch((error: unknown) => {
    if (error instanceof KwsError && options.checkpoint === undefined) {
      throw new KwsError(`${error.message} (has ${dir.root} finished its first evaluation step?)`);
    }
    throw error;
  });
  const { frames, coefficients } = featureGeometry(run.feature);
  const inputSize = frames * coefficients;
  const labelCount = run.labels.length;
  return {
    labels: run.labels,
    feature: run.feature,
    inputSize,
    quantized: false,
    checkpoint,
    backend,
    scores: (x) => softmaxRows(predictLogits(model, x, inputSize, labelCount), labelCount),
    predict: (x) => argmaxRows(predictLogits(model, x, inputSize, labelCount), labelCount),
    dispose: () => model.dispose(),
  };
}

function openIntegerClassifier(dir: RunDir, requested: CheckpointName | undefined): Classifier {
  const run = loadRunConfig(dir);
  const { network, source } = openQuantizedNetwork(dir, run, requested);
  const integer = deployedClassifier(network);
  return {
    labels: network.labels,
    feature: network.feature,
    inputSize: integer.inputSize,
    quantized: true,
    checkpoint: source.checkpoint,
    scores: (x) => integer.scores(x),
    predict: (x) => integer.predict(x),
    trace(row) {
      const logitsInt8 = integer.logits(row).slice();
      return { inputInt8: integer.input.slice(), logitsInt8 };
    },
    dispose: () => undefined,
  };
}
