/**
 * Models on disk: tfjs layers format (`model.json` + `weights.bin`, loadable by any tfjs
 * `loadLayersModel`) plus the `kws-model.json` sidecar with what the model means (architecture,
 * size, feature settings, labels). tfjs-node's file:// handler is not available, so artifacts
 * pass through tf.io.withSaveHandler / tf.io.fromMemory.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { recoverDirectory, replaceDirectoryAtomic, writeFileAtomic } from '../atomic.js';
import { KwsError, errorMessage } from '../errors.js';
import type { FeatureConfig } from '../features/config.js';
import { MODEL_FILE, SIDECAR_FILE, WEIGHTS_FILE } from './files.js';
// Custom layers must be registered before a model that uses them is deserialised.
import './lstm-cell.js';
import './slim-batch-norm.js';

export interface ModelSidecar {
  architecture: string;
  preset?: string;
  modelSizeInfo: number[];
  feature: FeatureConfig;
  labels: string[];
}

export interface LoadedModel {
  model: tf.LayersModel;
  sidecar: ModelSidecar;
}

export interface SerializedWeights {
  specs: tf.io.WeightsManifestEntry[];
  data: Uint8Array;
}

/** Named tensors to one binary blob plus its manifest (reusable for optimizer state). */
export async function serializeWeights(tensors: Parameters<typeof tf.io.encodeWeights>[0]): Promise<SerializedWeights> {
  const encoded = await tf.io.encodeWeights(tensors);
  return { specs: encoded.specs, data: new Uint8Array(encoded.data) };
}

/** The inverse of `serializeWeights`; the caller owns (and disposes) the tensors. */
export function deserializeWeights(specs: tf.io.WeightsManifestEntry[], data: Uint8Array): tf.NamedTensorMap {
  const expected = byteLength(specs);
  if (expected !== undefined && expected !== data.byteLength) {
    throw new KwsError(`weights hold ${data.byteLength} bytes but their manifest describes ${expected}`);
  }
  return tf.io.decodeWeights(toArrayBuffer(data), specs);
}

const DTYPE_BYTES: Partial<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/** Bytes the manifest describes, or undefined for quantised or string weights (not produced here). */
function byteLength(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const bytes = DTYPE_BYTES[spec.dtype];
    if (bytes === undefined || spec.quantization) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

/**
 * Writes the model (model.json + weights.bin) into an existing directory, each file atomically.
 * Callers that need the whole directory swapped at once (checkpoints) fill a temporary one.
 * Training checkpoints stop here: their meaning is the run's config.json.
 */
export async function writeModelFiles(dir: string, model: tf.LayersModel): Promise<void> {
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      const weightData =
        artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(modelJson));
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
}

/**
 * Saves a model directory atomically: filled beside the target, then swapped in (the previous
 * version is renamed aside and removed only after), so an interrupted save leaves the old model
 * loadable. Refuses to replace a non-empty directory that is not a saved model.
 */
export async function saveModelDir(dir: string, model: tf.LayersModel, sidecar: ModelSidecar): Promise<void> {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new KwsError(`cannot save the model to ${dir}: it is a file`);
    if (fs.readdirSync(dir).length > 0 && !fs.existsSync(path.join(dir, SIDECAR_FILE))) {
      throw new KwsError(
        `refusing to replace ${dir}: it is not empty and not a kws model directory (no ${SIDECAR_FILE})`,
      );
    }
  }
  await replaceDirectoryAtomic(dir, async (temp) => {
    await writeModelFiles(temp, model);
    writeFileAtomic(path.join(temp, SIDECAR_FILE), `${JSON.stringify(sidecar, null, 2)}\n`);
  });
}

function readJson(file: string, what: string): unknown {
  if (!fs.existsSync(file))
    throw new KwsError(`${path.dirname(file)} is not a kws model directory (no ${path.basename(file)})`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KwsError(`${file} is damaged: not valid JSON (${errorMessage(error)}); ${what}`);
  }
}

function parseSidecar(file: string, json: unknown): ModelSidecar {
  const value = (json ?? {}) as Partial<Record<keyof ModelSidecar, unknown>>;
  const missing = [
    typeof value.architecture === 'string' ? undefined : 'architecture',
    Array.isArray(value.modelSizeInfo) && value.modelSizeInfo.every((n) => typeof n === 'number')
      ? undefined
      : 'modelSizeInfo',
    typeof value.feature === 'object' && value.feature !== null ? undefined : 'feature',
    Array.isArray(value.labels) && value.labels.every((l) => typeof l === 'string') ? undefined : 'labels',
  ].filter((name) => name !== undefined);
  if (missing.length > 0) throw new KwsError(`${file} is damaged: missing or invalid ${missing.join(', ')}`);
  return value as ModelSidecar;
}

/** Loads a directory written by `saveModelDir` (the model and its sidecar). */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  if (!recoverDirectory(dir)) throw new KwsError(`model directory ${dir} does not exist`);
  const sidecarFile = path.join(dir, SIDECAR_FILE);
  const sidecar = parseSidecar(sidecarFile, readJson(sidecarFile, 'save the model again'));
  const model = await loadModelFiles(dir, { labels: sidecar.labels.length, from: SIDECAR_FILE });
  return { model, sidecar };
}

/**
 * Loads model.json + weights.bin from `dir`, checking the weights against the manifest and the
 * output width against the label count that `labels.from` (the sidecar or a run's config) gives.
 */
export async function loadModelFiles(dir: string, labels: { labels: number; from: string }): Promise<tf.LayersModel> {
  if (!recoverDirectory(dir)) throw new KwsError(`model directory ${dir} does not exist`);
  const modelFile = path.join(dir, MODEL_FILE);
  const modelJson = readJson(modelFile, 'save the model again') as Partial<tf.io.ModelJSON>;
  const manifest = modelJson.weightsManifest;
  if (!modelJson.modelTopology || !Array.isArray(manifest)) {
    throw new KwsError(`${modelFile} is damaged: no modelTopology or weightsManifest`);
  }
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightFiles = [...new Set(manifest.flatMap((group) => group.paths))];
  const weightParts = weightFiles.map((name) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new KwsError(`${dir} is incomplete: ${name} is missing`);
    return new Uint8Array(fs.readFileSync(file));
  });
  const weightData = Buffer.concat(weightParts);
  const expected = byteLength(weightSpecs);
  if (expected !== undefined && expected !== weightData.byteLength) {
    throw new KwsError(
      `${path.join(dir, WEIGHTS_FILE)} is damaged: ${weightData.byteLength} bytes, model.json describes ${expected}`,
    );
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData: toArrayBuffer(weightData) }),
    );
  } catch (error) {
    throw new KwsError(`${modelFile} could not be loaded: ${errorMessage(error)}`);
  }
  const outputs = model.outputs[0]?.shape.at(-1);
  if (outputs !== labels.labels) {
    model.dispose();
    throw new KwsError(
      `${dir} does not add up: the model has ${outputs} outputs but ${labels.from} lists ${labels.labels} labels`,
    );
  }
  return model;
}
